"""Shared fixtures. The recorded helpdesk payloads are read from ../shared/contracts."""

from __future__ import annotations

from pathlib import Path

import pytest

CONTRACTS = Path(__file__).resolve().parents[2] / "shared" / "contracts"


@pytest.fixture(scope="session")
def contracts_dir() -> Path:
    if not CONTRACTS.is_dir():
        pytest.skip(f"recorded contracts not found at {CONTRACTS} (shared/ is not beside the checkout)")
    return CONTRACTS
