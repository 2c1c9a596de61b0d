"""Models of the notes app."""
