"""Holding the cyclic garbage collector while a scenario or a fixtures file is loaded.

A near-copy of `deskplan.gcpause`, kept separate on purpose: the simulators stand apart from
the code they test and import nothing from it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection inside the block; it resumes (and catches up) after it.

    Loading thousands of generated tickets makes many small containers that all stay alive:
    the collector would walk them over and over and free nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
