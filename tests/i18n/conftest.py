"""Fixtures the i18n tests share with the write-back tests."""

from tests.writeback.fakes import ledger  # noqa: F401  (a fixture: a ledger on an in-memory state file)
