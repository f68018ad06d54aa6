"""The one error the simulators raise on purpose: a setting or a fixtures file they cannot use.

deskplan has a ConfigError of its own; this one is a separate near-copy because the simulators
stand apart from the code they test and import nothing from it. `deskplan sandbox` turns this
error into deskplan's (exit status 2).
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A bad option, environment setting or fixtures file; the message names it (and the file and entry)."""
