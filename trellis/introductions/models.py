"""Models of the introductions app."""
