"""Reads of the resources app."""
