"""Writes of the introductions app."""
