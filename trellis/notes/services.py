"""Writes of the notes app."""
