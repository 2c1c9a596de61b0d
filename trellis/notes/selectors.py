"""Reads of the notes app."""
