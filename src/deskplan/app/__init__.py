"""The application layer: the commands' work (sync, plan push, explain, report, demo)."""
