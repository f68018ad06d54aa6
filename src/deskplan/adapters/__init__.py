"""Helpdesk adapters: one package per `kind`, each with `create_adapter(config, token, **kw)`."""

from __future__ import annotations

import importlib
from typing import Any

from deskplan.adapters.base import Adapter
from deskplan.config import SourceConfig
from deskplan.effects import Writer


def open_adapter(config: SourceConfig, token: str, **kw: Any) -> Adapter:
    """The adapter for a configured source (`kw`: sleep, clock, session — for tests)."""
    module = importlib.import_module(f"{__name__}.{config.kind}")
    return module.create_adapter(config, token, **kw)


def open_writer(config: SourceConfig, token: str, **kw: Any) -> Writer:
    """The write side of a configured source on an HTTP client of its own (a sync shares the
    adapter's: `Adapter.writer()`)."""
    return open_adapter(config, token, **kw).writer()
