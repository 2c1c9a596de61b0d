"""Writes of the resources app."""
