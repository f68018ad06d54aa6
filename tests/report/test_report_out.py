"""`deskplan report --out`: the page written whole to the file, the same as stdout shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from deskplan.cli import cli
from deskplan.state.store import Store

from ..review.sample import CONFIG, november, write_workspace

NOW = "2026-11-16T01:00:00Z"


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_out_writes_the_page_stdout_would_show_and_says_so_on_stderr(tmp_path: Path, fmt: str):
    root = tmp_path / "ws"
    write_workspace(root)
    (root / "deskplan.toml").write_text(CONFIG, encoding="utf-8")
    store = Store.open(root / "state.db")
    try:
        store.save_tickets(november())
    finally:
        store.close()

    def report(*args: str):
        return CliRunner().invoke(cli, ["report", "--workspace", str(root), "--format", fmt, *args],
                                  env={"DESKPLAN_NOW": NOW}, catch_exceptions=False)

    shown = report()
    assert shown.exit_code == 0, shown.output
    assert "Review test plan" in shown.stdout and "reply-12h" in shown.stdout
    out = tmp_path / "out" / f"report.{fmt}"
    written = report("--out", str(out))
    assert written.exit_code == 0, written.output
    assert (written.stdout, written.stderr) == ("", f"wrote {out}\n")
    assert out.read_text(encoding="utf-8") == shown.stdout
    assert [p.name for p in out.parent.iterdir()] == [out.name]       # no partial file left beside it
