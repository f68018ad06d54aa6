"""The installation's secret (keys and markers nobody outside can compute) and each source's own user."""

import re
import sqlite3
import stat
from pathlib import Path

import pytest

from deskplan.effects import LEGACY_SECRET, idempotency_key, marker
from deskplan.errors import ConfigError
from deskplan.state.identity import Identity, key_file
from deskplan.state.store import Store

LEGACY_V4 = Path(__file__).with_name("legacy_v4.sql")      # a state file of an installation that already wrote
# The key deskplan planned for this rule task before keys had a secret (sha256 over the parts).
RULE_TASK_KEY_BEFORE = "322a4402ee23ecf3e87c381aa843a48a995ab56ad43de5985e1111da08afa064"
RULE_TASK = ("task", "rule", "zd", "1", "bad-rating-follow-up")


def secret_of(path: Path) -> str:
    store = Store.open(path)
    try:
        return Identity(store).secret(key_file(path))
    finally:
        store.close()


def test_a_new_installation_gets_a_random_secret_kept_in_the_state_and_in_a_private_key_file(tmp_path):
    state = tmp_path / "state.db"
    secret = secret_of(state)
    assert re.fullmatch(r"[0-9a-f]{32}", secret)
    assert key_file(state) == tmp_path / "state.db.key"
    assert key_file(state).read_text().strip() == secret
    assert stat.S_IMODE(key_file(state).stat().st_mode) == 0o600
    assert secret_of(state) == secret                       # made once
    key_file(state).unlink()
    assert secret_of(state) == secret                       # the state keeps it
    assert secret_of(tmp_path / "other" / "state.db") != secret


def test_keys_and_markers_under_a_secret_cannot_be_computed_without_it(tmp_path):
    secret = secret_of(tmp_path / "state.db")
    key = idempotency_key(*RULE_TASK, secret=secret)
    assert key != RULE_TASK_KEY_BEFORE and marker(key) != marker(RULE_TASK_KEY_BEFORE)
    assert key == idempotency_key(*RULE_TASK, secret=secret)            # still deterministic
    assert key != idempotency_key(*RULE_TASK, secret="0" * 32)


def test_a_state_file_that_already_wrote_keeps_the_keys_it_wrote_under(tmp_path):
    """An upgrade must not plan the installation's writes again under new keys (every task would
    be created twice): a ledger with rows gets the empty legacy secret, and no key file."""
    state = tmp_path / "state.db"
    conn = sqlite3.connect(state)
    conn.executescript(LEGACY_V4.read_text())
    conn.close()
    assert secret_of(state) == LEGACY_SECRET
    assert not key_file(state).exists()
    assert idempotency_key(*RULE_TASK, secret=LEGACY_SECRET) == RULE_TASK_KEY_BEFORE
    # Decided once: what is written from now on does not change it.
    assert secret_of(state) == LEGACY_SECRET


def test_a_key_file_made_before_the_state_file_is_the_secret_it_takes(tmp_path):
    """A dry-run before the first sync works on a throw-away state: the key file it leaves is
    what makes the real run plan the keys the dry-run showed."""
    state = tmp_path / "state.db"
    scratch = Store.open(tmp_path / "throw-away.db")
    try:
        shown = Identity(scratch).secret(key_file(state))
    finally:
        scratch.close()
    assert not state.exists() and key_file(state).exists()
    assert secret_of(state) == shown


def test_a_key_file_that_holds_no_key_is_an_error_naming_it(tmp_path):
    state = tmp_path / "state.db"
    key_file(state).write_text("not a key\n")
    with pytest.raises(ConfigError, match=r"state\.db\.key"):
        secret_of(state)


def test_the_own_user_of_each_source_is_recorded_and_a_change_is_reported():
    identity = Identity(Store.open(":memory:"))
    assert identity.own_user("zd") is None
    assert identity.record_own_user("zd", "361") is True
    assert identity.record_own_user("zd", "361") is False
    assert identity.record_own_user("jsm", "5b10a2844c20165700ede21g") is True
    assert identity.record_own_user("zd", "362") is True
    assert (identity.own_user("zd"), identity.own_user("jsm")) == ("362", "5b10a2844c20165700ede21g")
