"""Talking HTTP to a helpdesk: one client per source with one retry policy (bottom layer)."""
