"""Who deskplan is: the installation's secret, and deskplan's own user in each helpdesk.
Owns the tables `installation` and `own_users` (docs/design.md, "State").

- The secret keys every idempotency key and so every marker (`effects.idempotency_key`):
  nobody outside the installation can compute them. It is made once and kept in the state.
  A state file that already holds ledger rows when it first needs one (an installation from
  before keys had a secret) gets the empty `LEGACY_SECRET`, so that its writes keep their
  keys and none is planned again under a new one. A new installation takes the key file
  beside the state file (`<state>.key`, mode 0600), making it when missing: a dry-run before
  the first sync runs on a throw-away state, and the key file is how the real run that
  follows plans the very keys the dry-run showed.
- Each source's own user (Zendesk user id, Jira accountId), as the helpdesk named it when the
  credentials were last checked. Building reads it (only that user's internal notes with a
  marker are deskplan's own), also on a run that cannot reach the helpdesk.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path

from deskplan.effects import LEGACY_SECRET
from deskplan.errors import ConfigError
from deskplan.state.store import Store

SECRET_BYTES = 16
_SECRET = re.compile(r"[0-9a-f]{32}")


def key_file(state_path: Path) -> Path:
    """Where the secret of a new installation is kept beside the state file."""
    return state_path.with_name(state_path.name + ".key")


class Identity:
    def __init__(self, store: Store):
        self.conn = store.db.conn

    def secret(self, key_path: Path) -> str:
        """The installation's secret: the one stored, else (once, then stored) the legacy one for
        a state file with ledger rows, else the one in the key file at `key_path` (made if missing)."""
        stored = self._stored_secret()
        if stored is not None:
            return stored
        if self.conn.execute("SELECT 1 FROM writes LIMIT 1").fetchone() is not None:
            secret, origin = LEGACY_SECRET, "legacy: the ledger predates keyed idempotency keys"
        else:
            secret, origin = read_or_make_key(key_path), f"key file {key_path.name}"
        # OR IGNORE: a process that stored one meanwhile wins, and both go on with the stored one.
        self.conn.execute("INSERT OR IGNORE INTO installation (id, secret, origin, created_at) VALUES (1, ?, ?, ?)",
                          [secret, origin, datetime.now(timezone.utc).isoformat(timespec="seconds")])
        stored = self._stored_secret()
        assert stored is not None, "inserted above"
        return stored

    def _stored_secret(self) -> str | None:
        row = self.conn.execute("SELECT secret FROM installation WHERE id = 1").fetchone()
        return None if row is None else str(row[0])

    def own_user(self, source: str) -> str | None:
        """deskplan's own user in `source` when the credentials were last checked, if ever."""
        row = self.conn.execute("SELECT user_id FROM own_users WHERE source = ?", [source]).fetchone()
        return None if row is None else str(row[0])

    def record_own_user(self, source: str, user_id: str) -> bool:
        """Record deskplan's own user in `source`; True when it is new or another than before
        (tickets built before were built knowing another user, or none)."""
        if self.own_user(source) == user_id:
            return False
        self.conn.execute(
            "INSERT INTO own_users (source, user_id, seen_at) VALUES (?, ?, ?) ON CONFLICT (source) "
            "DO UPDATE SET user_id = excluded.user_id, seen_at = excluded.seen_at",
            [source, user_id, datetime.now(timezone.utc).isoformat(timespec="seconds")],
        )
        return True


def read_or_make_key(path: Path) -> str:
    """The secret in the key file at `path`; a new one written there (mode 0600) when it is
    missing. Two runs making it at once keep the first one written, and both read it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (secrets.token_hex(SECRET_BYTES) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(draft, path)        # whole or not at all, and never over a key another run made
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    text = path.read_text(encoding="ascii", errors="replace").strip()
    if not _SECRET.fullmatch(text):
        # Read only while the state holds no secret and no write: a new key harms nothing then.
        raise ConfigError(f"{path} does not hold deskplan's key (32 hex digits): remove it, and a new one is made")
    return text
