"""The only layer that touches the user's files and git."""
