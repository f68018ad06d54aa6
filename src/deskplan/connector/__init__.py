"""Talking to helpdesks: the HTTP client with its retry policy, and the local state."""
