"""Evidence itself: the content-addressed, read-only store and the custody log."""
