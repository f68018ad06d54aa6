"""Exactly once in effect, whatever happens: kill -9, injected faults, bad payloads, secrets.

The simulator runs in this process and outlives the sync, which runs in a forked child (or
as `python -m deskplan`) and is killed with SIGKILL. After a re-run, the helpdesk's own data
must hold every expected comment and task exactly once: the same as a run nothing disturbed.
"""

from __future__ import annotations

import base64
import copy
import os
import random
import subprocess
import sys
import time

import pytest
import requests

from .harness import (
    EMAIL,
    TOKEN,
    HoldAnswer,
    Site,
    assert_all_internal,
    environment,
    kill_after,
    make_workspace,
    pending_writes,
    start_child,
    sync,
    sync_until_clean,
)

KINDS = ("zendesk", "jira")
TRIALS_PER_KIND = 16
STRATEGIES = ("random delay", "after n writes", "answer held")


@pytest.fixture(scope="module")
def expected(story, tmp_path_factory):
    """What an undisturbed sync leaves in each helpdesk (compact workspace), and how long
    that sync took in a child (random kill delays are drawn within it)."""
    found = {}
    for kind in KINDS:
        warm = Site(kind, story)             # what forked children inherit is warmed up first
        try:
            sync(make_workspace(tmp_path_factory.mktemp(f"warm-{kind}"), warm, compact=True))
        finally:
            warm.stop()
        site = Site(kind, story)
        try:
            workspace = make_workspace(tmp_path_factory.mktemp(f"reference-{kind}"), site, compact=True)
            started = time.monotonic()
            child = start_child(workspace)
            child.join(120)
            assert child.exitcode == 0
            DURATION[kind] = time.monotonic() - started
            found[kind] = site.effects()
        finally:
            site.stop()
        assert found[kind].duplicates() == [] and len(found[kind].comments) == 12 and len(found[kind].tasks) == 7
    return found


DURATION: dict[str, float] = {}


def writes_in(expected_effects) -> int:
    return len(expected_effects.comments) + len(expected_effects.tasks)


def kill_with_answer_held(hold, child, workspace) -> str:
    """Kill the sync while the helpdesk has applied a write and holds back its answer: the key of
    that write, pending in the ledger."""
    assert hold.applied.wait(60)
    assert kill_after(child, delay=0.0)
    hold.release.set()
    (in_doubt,) = pending_writes(workspace)
    return in_doubt


@pytest.mark.parametrize("kind,trial", [(k, t) for k in KINDS for t in range(TRIALS_PER_KIND)])
def test_kill_9_at_a_random_moment_then_a_rerun_leaves_every_write_exactly_once(kind, trial, story, expected,
                                                                                tmp_path):
    rng = random.Random(f"{kind}-{trial}")
    strategy = STRATEGIES[trial % len(STRATEGIES)]
    site = Site(kind, story)
    try:
        workspace = make_workspace(tmp_path / "ws", site, compact=True)
        hold = HoldAnswer(site, rng.randrange(1, writes_in(expected[kind]) + 1)) if strategy == "answer held" else None
        child = start_child(workspace)
        if strategy == "random delay":            # anywhere: pulling, building, evaluating, writing
            kill_after(child, delay=rng.uniform(0.0, DURATION[kind]))
        elif strategy == "after n writes":        # in the write phase, a hair after the n-th write landed
            kill_after(child, writes_seen=lambda: len(site.app.writes), writes=rng.randrange(0, 20),
                       extra=rng.uniform(0.0, 0.005))
        else:                                     # the n-th write is applied, its answer not yet back
            in_doubt = kill_with_answer_held(hold, child, workspace)
            held = [m for m in list(site.effects().tasks) + [m for _, m in site.effects().comments] if m == in_doubt]
            assert held == [in_doubt]             # the helpdesk has it; the ledger does not know yet
        codes = sync_until_clean(workspace)
        assert codes[-1] == 0, codes
        effects = site.effects()
        assert effects.duplicates() == []
        assert effects == expected[kind]
        assert_all_internal(site)
    finally:
        site.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_kill_9_of_the_real_command_line_while_a_write_is_in_flight(kind, story, expected, tmp_path):
    site = Site(kind, story)
    try:
        workspace = make_workspace(tmp_path / "ws", site, compact=True)
        hold = HoldAnswer(site, 5)
        process = subprocess.Popen([sys.executable, "-m", "deskplan", "sync", "-w", str(workspace), "--json"],
                                   env={**os.environ, **environment()}, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        assert hold.applied.wait(60)
        process.kill()
        process.wait(30)
        hold.release.set()
        assert len(pending_writes(workspace)) == 1
        assert sync_until_clean(workspace)[-1] == 0
        assert site.effects() == expected[kind]
    finally:
        site.stop()


@pytest.mark.parametrize("kind,seed", [(k, s) for k in KINDS for s in (1, 2)])
def test_faults_at_20_percent_end_in_the_same_helpdesk_state_as_a_fault_free_run(kind, seed, story, expected,
                                                                                tmp_path):
    site = Site(kind, story, faults=0.2, fault_seed=seed)
    try:
        workspace = make_workspace(tmp_path / "ws", site, compact=True)
        codes = sync_until_clean(workspace)
        assert codes[-1] == 0, codes
        faults = [line for line in site.log.getvalue().splitlines() if line.endswith(("fault:drop", "fault:cut"))]
        assert faults                             # answers really were lost, some after the write landed
        assert site.effects() == expected[kind]
        assert_all_internal(site)
    finally:
        site.stop()


REVIEW_TRIALS = 4
REVIEW_TITLES = ("Weekly check: week 10 of 2026 (2 to 8 Mar 2026)", "Monthly review: February 2026")


@pytest.fixture(scope="module")
def expected_reviews(story, tmp_path_factory):
    """What an undisturbed sync of the compact workspace with its cadence leaves: the writes of
    `expected`, then the two review tasks."""
    found = {}
    for kind in KINDS:
        site = Site(kind, story)
        try:
            (summary,) = sync(make_workspace(tmp_path_factory.mktemp(f"reviews-{kind}"), site, compact=True,
                                             cadence=True)).summaries
            found[kind] = site.effects()
        finally:
            site.stop()
        assert summary.review_tasks_created == 2 and found[kind].duplicates() == []
        titles = sorted(d[0] for d in found[kind].task_details.values() if d[0].startswith(("Weekly", "Monthly")))
        assert titles == sorted(REVIEW_TITLES)
        assert len(found[kind].comments) == 12
    return found


@pytest.mark.parametrize("kind,trial", [(k, t) for k in KINDS for t in range(REVIEW_TRIALS)])
def test_kill_9_while_review_tasks_are_written_then_a_rerun_writes_each_exactly_once(kind, trial, story,
                                                                                      expected_reviews, tmp_path):
    """The review tasks are a sync's last writes: kill it as one is answered (half the trials:
    the task is in the helpdesk, the ledger says pending) or a hair after it landed."""
    reference = expected_reviews[kind]
    total = writes_in(reference)
    nth = total - trial % 2                           # the last write, or the one before: each a review task
    site = Site(kind, story)
    try:
        workspace = make_workspace(tmp_path / "ws", site, compact=True, cadence=True)
        if trial < REVIEW_TRIALS // 2:
            hold = HoldAnswer(site, nth)
            child = start_child(workspace)
            in_doubt = kill_with_answer_held(hold, child, workspace)
            assert site.effects().task_details[in_doubt][0] in REVIEW_TITLES    # written, not yet recorded
        else:
            child = start_child(workspace)
            kill_after(child, writes_seen=lambda: len(site.app.writes), writes=nth, extra=0.001 * trial)
        codes = sync_until_clean(workspace)
        assert codes[-1] == 0, codes
        assert site.effects() == reference
        # The same period again: nothing new.
        (again,) = sync(workspace).summaries
        assert (again.writes_planned, again.review_tasks_created) == (0, 0)
        assert site.effects() == reference
    finally:
        site.stop()


WITNESS = "wItNeSs-6f1d0c2e-TOKEN"


@pytest.mark.parametrize("kind", KINDS)
def test_the_api_token_never_appears_in_output_logs_state_or_errors(kind, story, tmp_path):
    site = Site(kind, story, token=WITNESS, faults=0.1, fault_seed=7)
    try:
        workspace = make_workspace(tmp_path / "ws", site, compact=True)
        outputs = []
        for token, args in ((WITNESS, ["--json"]), (WITNESS, ["--dry-run"]), (WITNESS + "-refused", ["--json"])):
            run = subprocess.run([sys.executable, "-m", "deskplan", "-vv", "sync", "-w", str(workspace), *args],
                                 env={**os.environ, **environment(token=token)}, capture_output=True, text=True,
                                 timeout=300)
            outputs += [run.stdout, run.stderr]
        assert run.returncode == 4 and "credentials" in run.stderr + run.stdout
        assert any("retrying" in text for text in outputs)     # retries were logged, with -vv debug on
        user = f"{EMAIL}/token" if kind == "zendesk" else EMAIL
        secrets = [WITNESS, base64.b64encode(f"{user}:{WITNESS}".encode()).decode()]
        state = b"".join(p.read_bytes() for p in workspace.iterdir() if p.name.startswith("state.db"))
        for secret in secrets:
            assert all(secret not in text for text in outputs)
            assert secret.encode() not in state
        # Errors raised by the library carry no token either.
        result = sync(workspace, environ=environment(token=WITNESS + "-refused"))
        assert all(WITNESS not in e for s in result.summaries for e in s.errors)
    finally:
        site.stop()


def add_malformed_ticket(site: Site) -> str:
    """A ticket the helpdesk serves but deskplan cannot read (a date that is not a date)."""
    if site.kind == "zendesk":
        doc = copy.deepcopy(site.app.store.ticket(2))
        doc.update(id=99, created_at="yesterday", external_id=None)
        site.app.store.load_fixtures(tickets=[doc])
        return "99"
    from deskplan_sandbox.jira.from_fixtures import add_fixture_issue

    raw = requests.get(f"{site.url}/rest/api/3/issue/SUP-2?expand=changelog", auth=(EMAIL, TOKEN)).json()
    raw["id"], raw["key"] = "99999", "SUP-99"
    raw["fields"]["comment"]["comments"][0]["created"] = "not a date"
    add_fixture_issue(site.app.store, raw)
    return "SUP-99"


@pytest.mark.parametrize("kind", KINDS)
def test_a_malformed_ticket_is_quarantined_reported_and_the_rest_is_written(kind, story, expected, tmp_path):
    site = Site(kind, story)
    try:
        bad = add_malformed_ticket(site)
        workspace = make_workspace(tmp_path / "ws", site, compact=True)
        (summary,) = sync(workspace).summaries
        assert summary.exit_code == 1 and summary.quarantined == 1
        assert len(summary.errors) == 1 and f"quarantined ticket {bad}" in summary.errors[0]
        assert summary.writes_applied == writes_in(expected[kind])
        assert site.effects() == expected[kind]
    finally:
        site.stop()
