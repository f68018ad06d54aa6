"""The local state file: stored records and tickets, the write ledger, the sync lock (bottom layer)."""
