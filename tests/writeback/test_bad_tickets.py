"""One bad ticket never stops a sync (README, "Bad tickets").

A poisoned ticket is served by the Zendesk simulator among the harness story's good ones. The
first sync quarantines it, lists it and exits 1, and every good ticket's writes land; the next
sync exits 0 and counts it as known; the report renders. What the simulator cannot serve (a
lone surrogate's escape, JSON nested beyond any encoder, an id of the wrong type) is written
into its answers on the way out: its dispatcher is wrapped, the simulator itself is unchanged.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from deskplan.cli import cli
from deskplan.state.store import Store
from deskplan_sandbox.server import Response

from .harness import NOW, Site, environment, make_workspace, sync

BAD = 99                      # the poisoned ticket's id in the simulator
MARKED_ID = 424242            # its id where the answer must carry another id (see RAW)
DEEP = 5000


def nested(levels: int, inner: Any = 1) -> Any:
    for _ in range(levels):
        inner = [inner]
    return inner


# Marker (as the simulator writes it) -> the raw JSON deskplan receives instead.
RAW = {
    b'"@@surrogate@@"': b'"subject \\ud800 ends"',
    b'"@@deep@@"': b"[" * DEEP + b"1" + b"]" * DEEP,
    f'"id":{MARKED_ID},'.encode(): b'"id":"abc",',
}

POISONS: dict[str, dict[str, Any]] = {
    "lone surrogate in the subject": {"subject": "@@surrogate@@"},
    "custom field nested 40 levels": {"custom_fields": [{"id": 1, "value": nested(40)}]},
    "custom field nested 300 levels": {"custom_fields": [{"id": 1, "value": nested(300)}]},
    "JSON nested 5000 levels": {"custom_fields": [{"id": 1, "value": "@@deep@@"}]},
    "created in the year 9999": {"created_at": "9999-12-31T23:59:59Z", "updated_at": "9999-12-31T23:59:59Z"},
    "created in the year 1": {"created_at": "0001-01-01T00:00:00Z"},
    "an absurd offset": {"created_at": "0001-01-01T00:00:00+23:59"},
    "a negative id": {"id": -5},
    "a string id": {"id": MARKED_ID},
}
STAGE = {"custom field nested 300 levels": "store", "JSON nested 5000 levels": "store"}


def rewrite_answers(site: Site, raw: dict[bytes, bytes]) -> None:
    """The simulator's JSON answers with each marker replaced by its raw JSON."""
    inner = site.app.dispatch

    def dispatch(request: Any) -> Response:
        response = inner(request)
        if not isinstance(response.body, dict | list):
            return response
        try:
            body = orjson.dumps(response.body)
        except TypeError:
            body = json.dumps(response.body, ensure_ascii=False).encode()
        for marker, value in raw.items():
            body = body.replace(marker, value)
        return Response(response.status, body, response.headers)

    site.app.dispatch = dispatch


def add_ticket(site: Site, **changes: Any) -> int:
    """A copy of ticket 2 (open, replied to) as ticket BAD, with `changes`; its id in the simulator."""
    doc = copy.deepcopy(site.app.store.ticket(2))
    doc.update(id=BAD, external_id=None)
    doc.update(changes)
    audits = copy.deepcopy(site.app.store.audits(2))
    for audit in audits:
        audit["ticket_id"] = doc["id"]
        audit["id"] += 7
        for event in audit["events"]:
            event["id"] += 7
    site.app.store.load_fixtures(tickets=[doc], audits=audits)
    return int(doc["id"])


def report_renders(workspace) -> dict[str, str]:
    outputs = {}
    for fmt in ("text", "json", "html"):
        result = CliRunner().invoke(cli, ["report", "-w", str(workspace), "--format", fmt], env=environment(),
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        outputs[fmt] = result.stdout
    return outputs


@pytest.fixture
def zendesk(story):
    site = Site("zendesk", story)
    rewrite_answers(site, RAW)
    yield site
    site.stop()


@pytest.mark.parametrize("poison", list(POISONS))
def test_a_poisoned_ticket_is_quarantined_once_and_every_good_write_lands(poison, zendesk, clean_effects, tmp_path):
    add_ticket(zendesk, **POISONS[poison])
    workspace = make_workspace(tmp_path / "ws", zendesk, compact=True)
    (first,) = sync(workspace).summaries
    assert (first.exit_code, first.quarantined, first.quarantined_known) == (1, 1, 0), first.errors
    (error,) = first.errors
    assert f"({STAGE.get(poison, 'build')})" in error and error.startswith("quarantined ticket ")
    assert zendesk.effects() == clean_effects           # every good ticket's writes, and none for the bad one
    (second,) = sync(workspace).summaries
    assert (second.exit_code, second.quarantined, second.quarantined_known, second.errors) == (0, 0, 1, [])
    report_renders(workspace)


def test_a_full_sync_meets_the_unchanged_ticket_again_without_failing(zendesk, tmp_path):
    add_ticket(zendesk, created_at="9999-12-31T23:59:59Z")
    workspace = make_workspace(tmp_path / "ws", zendesk, compact=True)
    assert sync(workspace).summaries[0].exit_code == 1
    result = CliRunner().invoke(cli, ["sync", "-w", str(workspace), "--full", "--json"], env=environment(),
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (summary,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (summary["quarantined"], summary["quarantined_known"]) == (0, 1)


def test_a_quarantined_ticket_that_changes_is_tried_again_and_released_once_it_builds(zendesk, tmp_path):
    add_ticket(zendesk, created_at="9999-12-31T23:59:59Z")
    workspace = make_workspace(tmp_path / "ws", zendesk, compact=True)
    assert sync(workspace).summaries[0].quarantined == 1
    # Changed, still bad: tried again, and new again (the admin sees the new data's failure).
    doc = copy.deepcopy(zendesk.app.store.ticket(BAD))
    bumped = int(NOW.timestamp()) - 600            # changed lately, as Zendesk stamps a change
    doc.update(created_at="0001-01-01T00:00:00Z", generated_timestamp=bumped)
    zendesk.app.store.load_fixtures(tickets=[doc])
    (again,) = sync(workspace).summaries
    assert (again.exit_code, again.quarantined) == (1, 1)
    # Fixed at the helpdesk: it builds, leaves quarantine and gets its writes.
    doc.update(created_at=zendesk.app.store.ticket(2)["created_at"], generated_timestamp=bumped + 60)
    zendesk.app.store.load_fixtures(tickets=[doc])
    (fixed,) = sync(workspace).summaries
    assert (fixed.exit_code, fixed.quarantined, fixed.quarantined_known) == (0, 0, 0), fixed.errors
    store = Store.open(workspace / "state.db")
    assert store.quarantined("zd") == [] and store.get_ticket("zd", str(BAD)) is not None
    assert any(key == str(BAD) for key, _ in zendesk.effects().comments)


def break_for(ticket_key: str, target: Callable[..., Any]) -> Callable[..., Any]:
    """`target`, raising OverflowError for the ticket `ticket_key` (its first argument)."""
    def broken(ticket: Any, *args: Any, **kwargs: Any) -> Any:
        if ticket.key == ticket_key:
            raise OverflowError("date value out of range")
        return target(ticket, *args, **kwargs)
    return broken


def test_a_ticket_that_breaks_its_evaluation_and_the_report_is_quarantined_there(zendesk, clean_effects, monkeypatch,
                                                                                 tmp_path):
    import deskplan.kpi.facts
    import deskplan.kpi.report
    import deskplan.writes.assess

    # A clock computation that overflows on ticket 2 alone, in write-back and in the report alike
    # (counted from the timelines or from the KPI facts).
    for module in (deskplan.writes.assess, deskplan.kpi.report, deskplan.kpi.facts):
        monkeypatch.setattr(module, "compute_clocks", break_for("2", module.compute_clocks))
    workspace = make_workspace(tmp_path / "ws", zendesk, compact=True)
    (first,) = sync(workspace).summaries
    assert (first.exit_code, first.quarantined) == (1, 2), first.errors
    assert sorted(e.split(":")[0] for e in first.errors) == [
        "quarantined ticket 2 (evaluate)", "quarantined ticket 2 (report)"]
    assert all("unexpected OverflowError in " in e for e in first.errors)
    assert first.writes_failed == 0           # every comment but ticket 2's (the goals are judged without it)
    assert {k for k, _ in zendesk.effects().comments} == {k for k, _ in clean_effects.comments} - {"2"}
    zendesk.clock.now += timedelta(hours=2)                              # the next goal check is due
    (second,) = sync(workspace, environ=environment(now=zendesk.clock.now)).summaries
    assert (second.exit_code, second.quarantined, second.quarantined_known) == (0, 0, 2), second.errors
    left_out = json.loads(report_renders(workspace)["json"])["left_out"]
    assert [t["ref"] for t in left_out] == ["zd:2"]


def test_a_stored_ticket_an_older_deskplan_wrote_that_no_longer_reads_back_stops_nothing(zendesk, tmp_path):
    workspace = make_workspace(tmp_path / "ws", zendesk, compact=True)
    assert sync(workspace).summaries[0].exit_code == 0
    store = Store.open(workspace / "state.db")
    # Ticket 3 (closed, nothing written to it, so not exported again) as an older deskplan stored it.
    data = json.loads(store.ticket_data(store.db.execute("SELECT data FROM tickets WHERE id = '3'").fetchone()[0]))
    data["created_at"] = "9999-12-31T23:59:59+00:00"          # what today's model refuses
    store.db.execute("UPDATE tickets SET data = ?, hash = 'older' WHERE id = '3'", [json.dumps(data)])
    store.close()
    zendesk.clock.now += timedelta(hours=2)                  # the next goal check is due
    (first,) = sync(workspace, environ=environment(now=zendesk.clock.now)).summaries
    assert (first.exit_code, first.quarantined) == (1, 2), first.errors
    assert first.errors == [
        "quarantined ticket 3 (evaluate): zd:3: the stored ticket cannot be read (ValidationError)",
        "quarantined ticket 3 (report): zd:3: left out of the goals' report: the stored ticket cannot be read "
        "(ValidationError)"]
    text = report_renders(workspace)["text"]
    assert "1 left out" in text and "zd:3  the stored ticket cannot be read (ValidationError)" in text
    zendesk.clock.now += timedelta(hours=2)
    (second,) = sync(workspace, environ=environment(now=zendesk.clock.now)).summaries
    assert (second.exit_code, second.quarantined, second.quarantined_known) == (0, 0, 2), second.errors


def test_a_write_that_fails_unexpectedly_quarantines_its_ticket_and_the_other_writes_land(zendesk, clean_effects,
                                                                                          monkeypatch, tmp_path):
    from deskplan.adapters.zendesk.writes import ZendeskWriter

    apply = ZendeskWriter.apply

    def broken(self, write, previous_remote_id):
        if write.ticket_key == "2":
            raise KeyError("audit")
        return apply(self, write, previous_remote_id)

    monkeypatch.setattr(ZendeskWriter, "apply", broken)
    workspace = make_workspace(tmp_path / "ws", zendesk, compact=True)
    (first,) = sync(workspace).summaries
    assert (first.exit_code, first.quarantined) == (1, 1), first.errors
    assert first.errors[0].startswith("quarantined ticket 2 (write): comment status on zd:2 (key ")
    assert "unexpected KeyError in " in first.errors[0]
    assert {k for k, _ in zendesk.effects().comments} == {k for k, _ in clean_effects.comments} - {"2"}
    assert zendesk.effects().tasks == clean_effects.tasks
    (second,) = sync(workspace).summaries      # the pending write is checked (absent) and not sent again
    assert (second.exit_code, second.quarantined_known, second.writes_planned) == (0, 1, 0), second.errors
    # Mended, and the ticket changes: it is evaluated again, written, and leaves quarantine.
    monkeypatch.setattr(ZendeskWriter, "apply", apply)
    zendesk.app.store.update_ticket(2, {"comment": {"body": "any news?", "public": True}})
    zendesk.clock.now += timedelta(minutes=2)                # past the minute the export holds back
    (third,) = sync(workspace, environ=environment(now=zendesk.clock.now)).summaries
    assert (third.exit_code, third.quarantined_known) == (0, 0), third.errors
    assert Store.open(workspace / "state.db").quarantined("zd") == []
    assert zendesk.effects().comments.keys() >= clean_effects.comments.keys()
