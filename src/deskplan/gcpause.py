"""Holding the cyclic garbage collector through a bounded burst of allocations."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block; it resumes (and catches up) after it.

    For bursts of many small containers that all stay alive until the burst ends, such as a
    decoded page of 1,000 helpdesk objects or a batch of tickets being built: the collector
    would walk them over and over and free nothing. Reference counting still frees everything
    acyclic at once, so memory stays bounded by the burst.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
