"""One sync at a time per state file: cron may start a run while the last one still works."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deskplan.errors import ConfigError, LockHeld
from deskplan.state.database import SETTING, path_problem


@contextmanager
def sync_lock(state_path: Path) -> Iterator[Path]:
    """Hold an exclusive, non-blocking lock beside the state file; LockHeld if taken.

    flock locks die with their process, so a killed sync never leaves a stale lock.
    """
    problem = path_problem(state_path)
    if problem is not None:
        raise ConfigError(f"{SETTING} {state_path}: {problem}")
    lock_path = state_path.with_name(state_path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:      # the state's folder cannot be made, or written to: the setting is wrong
        raise ConfigError(f"{SETTING} {state_path}: the lock file {lock_path} beside it cannot be "
                          f"created ({exc.strerror or exc})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(f"another deskplan sync holds the lock {lock_path}; this run did nothing") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield lock_path
    finally:
        os.close(fd)    # closing the descriptor releases the lock
