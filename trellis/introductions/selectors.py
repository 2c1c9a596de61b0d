"""Reads of the introductions app."""
