"""Writes of the events app."""
