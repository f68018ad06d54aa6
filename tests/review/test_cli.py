"""`deskplan review` on a workspace with a state file: the default period, --period, --cadence,
each format, --out, and what exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskplan.cli import cli
from deskplan.state.ledger import Ledger
from deskplan.state.store import Store

from .sample import CONFIG, local, november, planned_task, turn_of_the_year, write_workspace

NOW = "2026-11-16T01:00:00Z"        # Monday 16 November, 09:00 in Shanghai: week 46 has just closed


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write_workspace(root)
    (root / "deskplan.toml").write_text(CONFIG, encoding="utf-8")
    store = Store.open(root / "state.db")
    try:
        store.save_tickets(november() + turn_of_the_year())
        ledger = Ledger(store)
        done = planned_task("reply-12h", "2026-W46", "a46", owner="customer service", due=local(2026, 11, 18))
        ledger.begin(done)
        ledger.done(done, "101")
        ledger.begin(planned_task("reply-12h", "2026-W45", "a45", owner="customer service", due=local(2026, 11, 11)))
    finally:
        store.close()
    return root


def review(root: Path, *args: str, now: str = NOW):
    return CliRunner().invoke(cli, ["review", "--workspace", str(root), *args], env={"DESKPLAN_NOW": now},
                              catch_exceptions=False)


def test_default_is_the_latest_closed_period_of_the_first_cadence_entry(root):
    result = review(root)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Weekly check: week 46 of 2026 (9 to 15 Nov 2026)"
    assert "- First reply within 12h: 75.0% this week (3 of 4 requests; target 90%), up 25.0 points from the" in lines
    # The ledger's goal task for week 46, read from the state file: due at midnight on 18 Nov,
    # that is by the end of 17 Nov.
    assert lines[-3:] == ["WRITTEN FOR THIS WEEK",
                          "- zd:101 for customer service, due 17 Nov 2026: Goal reply-12h missed in 2026-W46",
                          "  (first_reply_within)."]


def test_period_and_cadence_pick_another_review(root):
    result = review(root, "--period", "2026-W45")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Weekly check: week 45 of 2026 (2 to 8 Nov 2026)\n")
    # The week 45 task is still pending in the ledger.
    assert "- Task for customer service, due 10 Nov 2026, not confirmed in zd yet (checked on the next sync):" \
        in result.stdout
    monthly = review(root, "--cadence", "monthly-review", now="2026-12-01T01:00:00Z")
    assert monthly.exit_code == 0, monthly.output
    assert monthly.stdout.startswith("Monthly review: November 2026\n")
    week_53 = review(root, "--period", "2026-w53", now="2027-01-05T01:00:00Z")
    assert week_53.exit_code == 0, week_53.output
    assert week_53.stdout.startswith("Weekly check: week 53 of 2026 (28 Dec 2026 to 3 Jan 2027)\n")


def test_each_format(root, tmp_path):
    as_json = review(root, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["schema"] == "deskplan.review/1"
    assert (data["cadence"]["id"], data["period"]["label"]) == ("weekly-check", "2026-W46")
    assert [(a["window"], a["status"], a["ref"]) for a in data["actions"]] == [("2026-W46", "done", "101")]
    assert data["tasks"]["known"] is False and data["milestones_done_known"] is False

    md = review(root, "--format", "md")
    assert md.exit_code == 0 and md.stdout.startswith("# Weekly check: week 46 of 2026 (9 to 15 Nov 2026)\n")

    out = tmp_path / "out" / "review.html"
    html = review(root, "--format", "html", "--out", str(out))
    assert html.exit_code == 0, html.output
    assert html.stdout == "" and html.stderr == f"wrote {out}\n"
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert "Weekly check: week 46 of 2026" in page

    text = review(root, "--format", "text", "--out", str(tmp_path / "review.txt"))
    assert text.exit_code == 0
    assert (tmp_path / "review.txt").read_text(encoding="utf-8").startswith("Weekly check: week 46 of 2026")


@pytest.mark.parametrize(("args", "now", "message"), [
    (["--period", "2026-W47"], NOW,
     "deskplan: period 2026-W47 has not closed yet (it ends at 2026-11-23 00:00 CST); "
     "closed weeks of weekly-check: 2026-W40 to 2026-W46 (7)"),
    (["--period", "2026-11"], NOW,
     "deskplan: cadence weekly-check reviews weeks, and 2026-11 is a month; "
     "closed weeks of weekly-check: 2026-W40 to 2026-W46 (7)"),
    (["--period", "2027-W53"], NOW, "deskplan: period '2027-W53': ISO year 2027 has weeks 01 to 52"),
    (["--period", "last-week"], NOW,
     "deskplan: period 'last-week' is not a period label; expected 2026-W46 (a week), 2026-10 (a month) or "
     "2026-Q4 (a quarter)"),
    (["--cadence", "monthly-review", "--period", "2026-09"], NOW,
     "deskplan: period 2026-09 lies outside the plan (2026-10-01 to 2027-03-31); closed: 2026-10"),
    (["--cadence", "quarterly"], NOW,
     "deskplan: unknown cadence 'quarterly'; plan.yaml has: weekly-check (every week), "
     "monthly-review (every month), quarterly-lookback (every quarter)"),
    (["--cadence", "quarterly-lookback"], NOW,
     "deskplan: cadence quarterly-lookback: no quarter of the plan has closed yet; "
     "the first, 2026-Q4, closes at 2027-01-01 00:00 CST"),
])
def test_bad_options_exit_2_and_say_what_there_is(root, args, now, message):
    result = review(root, *args, now=now)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == message + "\n"


def test_an_unknown_format_is_a_usage_error(root):
    result = review(root, "--format", "pdf")
    assert result.exit_code == 2
    assert "'pdf' is not one of 'text', 'json', 'html', 'md'" in result.stderr


def test_without_a_state_file_it_says_to_sync_first(root):
    (root / "state.db").unlink()
    result = review(root)
    assert result.exit_code == 2
    assert result.stderr == f"deskplan: {root / 'state.db'}: no state yet; run `deskplan sync` first\n"
    assert not (root / "state.db").exists()


def test_a_plan_without_cadence_entries(root):
    plan = (root / "plan.yaml").read_text(encoding="utf-8")
    (root / "plan.yaml").write_text(plan.split("cadence:")[0], encoding="utf-8")
    result = review(root)
    assert result.exit_code == 2
    assert result.stderr.startswith("deskplan: plan.yaml has no `cadence` entries to review; add one")


def test_help_has_an_example():
    result = CliRunner().invoke(cli, ["review", "--help"])
    assert result.exit_code == 0
    assert "Example: deskplan review" in result.stdout
