"""KPI facts: what each stored ticket contributes to the plan's goals, kept as tickets change, so
that a report, a goal check or a review adds numbers up in SQL instead of re-reading every
ticket's timeline. Owns the tables `kpi_meta`, `kpi_names`, `kpi_tickets`, `kpi_facts`,
`kpi_counts`, `kpi_hours` and `kpi_stale` (docs/design.md, "State"); kpi/facts.py computes what goes in.

- `kpi_meta`: one row, the basis (a digest of plan, rules and the facts' own version) every
  stored fact was computed on. Facts on another basis are not read at all.
- `kpi_stale`: tickets whose stored form changed since their facts were computed. A trigger on
  `tickets` adds every ticket written, so no writer can forget it; computing a ticket's facts
  takes it out. A report counts the stale ones from their timelines.
- `kpi_tickets`: per ticket, the dimensions reports group by (names by id from `kpi_names`),
  its categories and measures (bit sets over the plan's lists), its SLA clocks (how many met,
  breached, running, and the instant each running one turns breached), `horizon` (the latest
  instant in its data: the facts hold for a report at any `now` from it on) or `error` (why it
  cannot be counted: it is left out of the report).
- `kpi_facts`: per ticket and goal, its observation: the goal's window it counts in, whether it
  counts in the numerator, the instant it was observed, how far it is from the threshold
  (`weight`, microseconds) and, for tickets that pull against the target, the evidence line.
  `turn` is set where the observation appears only once `now` passes an instant (no reply yet,
  the threshold not yet passed); `running` where the weight grows with business time from the
  ticket's horizon (no reply yet, the clock running).
- `kpi_counts`: the observations that exist at any `now` (every one without a `turn`), added up
  per goal, window, dimension (team, organization, channel, agent) and value, kept as facts are
  saved and dropped: a report reads a few thousand rows, not one per ticket and goal.
- `kpi_hours`: the same per goal, hour of the observation and the ticket's pilot and control
  groups: a pilot's spans begin and end at any instant, so whole hours come from here and the
  hours they cut from `kpi_facts`.

Instants are microseconds since 1970 (UTC), like the calendars' own arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

from deskplan.state.store import Store

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
NEVER = 2**62        # a horizon no `now` reaches: the ticket is always counted from its timeline
HOUR = 3_600_000_000
Counts = dict[tuple[Any, ...], list[int]]


def micros(instant: datetime) -> int:
    return (instant - EPOCH) // timedelta(microseconds=1)


def instant(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def _add(counts: Counts, key: tuple[Any, ...], hit: int) -> None:
    """One observation into its cell of kpi_counts or kpi_hours: [numerator, denominator]."""
    cell = counts.setdefault(key, [0, 0])
    cell[0] += hit
    cell[1] += 1


@dataclass(frozen=True)
class GoalFact:
    goal: int               # the goal's place in the plan
    win: int                # the window's place among the goal's windows over the whole plan (-1: none)
    hit: bool
    at: int
    weight: int             # microseconds (0 for untimed metrics); for `running`: at the ticket's horizon
    against: bool           # pulls away from the target: evidence for a missed window
    turn: int | None = None
    running: bool = False
    detail: str | None = None


@dataclass(frozen=True)
class TicketFacts:
    source: str
    id: str
    horizon: int = NEVER
    created: int | None = None
    dims: tuple[tuple[str, str], ...] = ()     # (dimension, value) the goals are broken down by
    categories: int = 0
    measures: int = 0
    sla_met: int = 0
    sla_breached: int = 0
    sla_running: int = 0
    sla_turns: tuple[int | None, ...] = ()      # the instant each running clock turns breached (None: never)
    pilots: int = 0                            # bit set over the plan's measures: in the measure's pilot group
    controls: int = 0                          # ... in its control group
    goals: tuple[GoalFact, ...] = ()
    error: tuple[str, str] | None = None       # (ref, reason): left out of every figure
    counted: bool = True                       # False for what is not a request (deskplan's own tasks)


@dataclass(frozen=True)
class Worst:
    """A stored observation that pulls against its goal's target, for the evidence."""

    n: int
    source: str
    ticket_id: str
    at: int
    weight: int
    detail: str | None
    horizon: int


class Facts:
    def __init__(self, store: Store):
        self.store = store
        self.conn = store.db.conn
        self._names: dict[str, int] | None = None

    # --- the basis and the stale tickets -----------------------------------------------------

    def basis(self) -> str | None:
        row = self.conn.execute("SELECT basis FROM kpi_meta WHERE id = 1").fetchone()
        return row[0] if row else None

    def rebase(self, basis: str) -> None:
        """Facts are to be computed on `basis` from now on: every stored one is dropped, every
        ticket is stale."""
        self.conn.execute("DELETE FROM kpi_facts")
        self.conn.execute("DELETE FROM kpi_counts")
        self.conn.execute("DELETE FROM kpi_hours")
        self.conn.execute("DELETE FROM kpi_tickets")
        self.conn.execute("INSERT OR IGNORE INTO kpi_stale (source, id) SELECT source, id FROM tickets")
        self.conn.execute("INSERT INTO kpi_meta (id, basis) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET "
                          "basis = excluded.basis", [basis])

    def stale_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM kpi_stale").fetchone()[0]

    def stale(self, batch: int = 500) -> Iterator[list[tuple[str, str, str | None, int]]]:
        """Batches of stale tickets: (source, id, stored JSON or None, deleted)."""
        last = ("", "")
        while True:
            rows = self.conn.execute(
                "SELECT s.source, s.id, t.data, coalesce(t.deleted, 1) FROM kpi_stale s "
                "LEFT JOIN tickets t ON t.source = s.source AND t.id = s.id "
                "WHERE (s.source, s.id) > (?, ?) ORDER BY s.source, s.id LIMIT ?", [*last, batch]).fetchall()
            if not rows:
                return
            unpack = self.store.ticket_data
            yield [(source, ticket_id, None if data is None else unpack(data), deleted)
                   for source, ticket_id, data, deleted in rows]
            last = (rows[-1][0], rows[-1][1])

    # --- writing ------------------------------------------------------------------------------

    def _name(self, value: str | None) -> int | None:
        if value is None:
            return None
        if self._names is None:
            self._names = {name: nid for nid, name in self.conn.execute("SELECT id, name FROM kpi_names")}
        found = self._names.get(value)
        if found is None:
            cursor = self.conn.execute("INSERT INTO kpi_names (name) VALUES (?)", [value])
            found = self._names[value] = int(cursor.lastrowid or 0)
        return found

    def forget(self, tickets: Iterable[tuple[str, str]]) -> None:
        """Drop the facts of these tickets and their stale marks (a deleted ticket counts nowhere)."""
        keys = list(tickets)
        numbers = self.numbers(keys)
        counts, hours = self._stored_counts(numbers)
        self._count(counts, -1)
        self._count_hours(hours, -1)
        self.conn.executemany("DELETE FROM kpi_facts WHERE n = ?", [(n,) for n in numbers])
        self.conn.executemany("DELETE FROM kpi_tickets WHERE n = ?", [(n,) for n in numbers])
        self.conn.executemany("DELETE FROM kpi_stale WHERE source = ? AND id = ?", keys)

    def _stored_counts(self, numbers: Sequence[int]) -> tuple[Counts, Counts]:
        """What these tickets' stored facts add to kpi_counts and to kpi_hours (one query for both)."""
        counts: Counts = {}
        hours: Counts = {}
        if not numbers:
            return counts, hours
        for goal, win, at, hit, dims, pilots, controls in self.conn.execute(
                "SELECT f.goal, f.win, f.at, f.hit, k.dims, k.pilots, k.controls FROM kpi_facts f "
                "JOIN kpi_tickets k ON k.n = f.n WHERE f.n IN (SELECT value FROM json_each(?)) AND f.turn IS NULL",
                [orjson.dumps(list(numbers)).decode()]):
            _add(hours, (goal, at // HOUR, pilots, controls), hit)
            if win >= 0:
                for dim, value in orjson.loads(dims):
                    _add(counts, (goal, win, dim, value), hit)
        return counts, hours

    def _count_hours(self, counts: Counts, sign: int) -> None:
        self.conn.executemany(
            "INSERT INTO kpi_hours (goal, hour, pilots, controls, numerator, denominator) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (goal, hour, pilots, controls) DO UPDATE SET numerator = numerator + excluded.numerator, "
            "denominator = denominator + excluded.denominator",
            [(*key, sign * numerator, sign * denominator) for key, (numerator, denominator) in counts.items()])
        if sign < 0:
            self.conn.execute("DELETE FROM kpi_hours WHERE denominator = 0")

    def _count(self, counts: Counts, sign: int) -> None:
        self.conn.executemany(
            "INSERT INTO kpi_counts (goal, win, dim, value, numerator, denominator) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (goal, win, dim, value) DO UPDATE SET numerator = numerator + excluded.numerator, "
            "denominator = denominator + excluded.denominator",
            [(*key, sign * numerator, sign * denominator) for key, (numerator, denominator) in counts.items()])
        if sign < 0:
            self.conn.execute("DELETE FROM kpi_counts WHERE denominator = 0")

    def save(self, facts: Sequence[TicketFacts]) -> None:
        """Store the facts of these tickets in place of what was stored, and clear their stale marks."""
        self.forget((f.source, f.id) for f in facts)
        conn = self.conn
        counts: Counts = {}
        hours: Counts = {}
        for f in facts:
            if not f.counted:
                continue
            turns = list(f.sla_turns) + [None, None]
            dims = [(dim, self._name(value)) for dim, value in f.dims]
            cursor = conn.execute(
                "INSERT INTO kpi_tickets (source, id, horizon, created, dims, cats, measures, "
                "sla_met, sla_breached, sla_running, sla_turn1, sla_turn2, pilots, controls, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [f.source, f.id, f.horizon, f.created, orjson.dumps(dims).decode() if dims else None, f.categories,
                 f.measures, f.sla_met, f.sla_breached, f.sla_running, turns[0], turns[1], f.pilots, f.controls,
                 orjson.dumps(f.error).decode() if f.error else None])
            n = cursor.lastrowid
            conn.executemany(
                "INSERT INTO kpi_facts (n, goal, win, hit, at, turn, running, weight, against, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(n, g.goal, g.win, int(g.hit), g.at, g.turn, int(g.running), g.weight, int(g.against),
                  g.detail) for g in f.goals])
            for g in f.goals:
                if g.turn is not None:
                    continue        # counted when asked, once `now` has passed its turn
                _add(hours, (g.goal, g.at // HOUR, f.pilots, f.controls), g.hit)
                if g.win >= 0:
                    for dim, value in dims:
                        _add(counts, (g.goal, g.win, dim, value or 0), g.hit)
        self._count(counts, +1)
        self._count_hours(hours, +1)

    # --- reading ------------------------------------------------------------------------------

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Everything read inside sees the state of one instant (a read transaction: in WAL mode a
        sync that commits meanwhile is not seen half), unless a transaction is open already."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            self.conn.execute("ROLLBACK")

    def ticket_count(self, excluded: Sequence[int] = ()) -> int:
        """Tickets counted from their facts: every one but those left out (and `excluded`)."""
        where, params = self._excluding(excluded)
        # Every ticket counted has `created` (one left out has not): the index on it is counted.
        return self.conn.execute(f"SELECT count(*) FROM kpi_tickets WHERE created IS NOT NULL{where}",
                                 params).fetchone()[0]

    def beyond(self, now: int) -> list[tuple[str, str]]:
        """Tickets whose facts do not hold at `now` (data later than `now`, or facts that are
        never exact): counted from their timelines."""
        return self.conn.execute("SELECT source, id FROM kpi_tickets WHERE horizon > ?", [now]).fetchall()

    def stale_keys(self) -> list[tuple[str, str]]:
        return self.conn.execute("SELECT source, id FROM kpi_stale").fetchall()

    def numbers(self, keys: Iterable[tuple[str, str]]) -> list[int]:
        return [row[0] for key in keys
                for row in self.conn.execute("SELECT n FROM kpi_tickets WHERE source = ? AND id = ?", key)]

    def errors(self) -> list[tuple[str, str, str, str]]:
        """(source, id, ref, reason) of every ticket that cannot be counted."""
        out = []
        for source, ticket_id, error in self.conn.execute(
                "SELECT source, id, error FROM kpi_tickets WHERE error IS NOT NULL ORDER BY source, id"):
            ref, reason = orjson.loads(error)
            out.append((source, ticket_id, ref, reason))
        return out

    def names(self) -> dict[int, str]:
        return {nid: name for nid, name in self.conn.execute("SELECT id, name FROM kpi_names")}

    def _excluding(self, excluded: Sequence[int], column: str = "n") -> tuple[str, list[Any]]:
        if not excluded:
            return "", []
        return f" AND {column} NOT IN (SELECT value FROM json_each(?))", [orjson.dumps(list(excluded)).decode()]

    def goal_counts(self, now: int, excluded: Sequence[int] = ()) -> Iterator[tuple[int, int, str, int, int, int]]:
        """(goal, window, dimension, value's name id, numerator, denominator) of the observations that
        exist at `now`: what kpi_counts holds, those waiting for the clock whose turn has passed, less
        what the `excluded` tickets' facts hold. Values with nothing left are left out."""
        counts: Counts = {
            (goal, win, dim, value): [numerator, denominator] for goal, win, dim, value, numerator, denominator
            in self.conn.execute("SELECT goal, win, dim, value, numerator, denominator FROM kpi_counts")}
        where, params = self._excluding(excluded, "f.n")
        for goal, win, hit, dims in self.conn.execute(
                "SELECT f.goal, f.win, f.hit, k.dims FROM kpi_facts f JOIN kpi_tickets k ON k.n = f.n "
                f"WHERE f.turn IS NOT NULL AND f.turn < ? AND f.win >= 0{where}", [now, *params]):
            for dim, value in orjson.loads(dims):
                _add(counts, (goal, win, dim, value), hit)
        stored, _ = self._stored_counts(excluded)
        for key, (numerator, denominator) in stored.items():
            cell = counts[key]
            cell[0] -= numerator
            cell[1] -= denominator
        for key, (numerator, denominator) in counts.items():
            if denominator:
                yield (*key, numerator, denominator)

    def worst(self, goal: int, win: int, limit: int, excluded: Sequence[int] = ()) -> list[Worst]:
        """The observations against the target in one window whose weight does not grow with time,
        worst first (largest weight, then latest), with every one tied with the last."""
        where, params = self._excluding(excluded, "f.n")
        select = ("SELECT f.n, k.source, k.id, f.at, f.weight, f.detail, k.horizon FROM kpi_facts f "
                  "JOIN kpi_tickets k ON k.n = f.n WHERE f.goal = ? AND f.win = ? AND f.against = 1 "
                  f"AND f.running = 0{where}")
        rows = self.conn.execute(select + " ORDER BY f.weight DESC, f.at DESC LIMIT ?",
                                 [goal, win, *params, limit]).fetchall()
        if len(rows) == limit:
            last = rows[-1]
            seen = {row[0] for row in rows}
            rows += [row for row in self.conn.execute(select + " AND f.weight = ? AND f.at = ?",
                                                      [goal, win, *params, last[4], last[3]]) if row[0] not in seen]
        return [Worst(*row) for row in rows]

    def running_against(self, now: int, excluded: Sequence[int] = ()) -> list[tuple[int, int, Worst]]:
        """(goal, window, observation) of the observations against the target whose weight grows
        with time and that exist at `now` (the tickets still waiting for a reply: few)."""
        where, params = self._excluding(excluded, "f.n")
        return [(goal, win, Worst(*rest)) for goal, win, *rest in self.conn.execute(
            "SELECT f.goal, f.win, f.n, k.source, k.id, f.at, f.weight, f.detail, k.horizon FROM kpi_facts f "
            "JOIN kpi_tickets k ON k.n = f.n WHERE f.running = 1 AND f.against = 1 AND f.win >= 0 "
            f"AND (f.turn IS NULL OR f.turn < ?){where}", [now, *params])]

    def span_counts(self, goal: int, start: int, end: int, now: int,
                    excluded: Sequence[int] = ()) -> Iterator[tuple[int, list[tuple[str, int]], int]]:
        """(hit, the ticket's dimensions as (dimension, value's name id), observations) of one goal's
        observations at [start, end) that exist at `now`, whatever goal window they fall in (a
        review's period need not be one of the goal's windows)."""
        where, params = self._excluding(excluded, "f.n")
        for hit, dims, count in self.conn.execute(
                "SELECT f.hit, k.dims, count(*) FROM kpi_facts f JOIN kpi_tickets k ON k.n = f.n "
                "WHERE f.goal = ? AND f.at >= ? AND f.at < ? AND (f.turn IS NULL OR f.turn < ?)"
                f"{where} GROUP BY f.hit, k.dims", [goal, start, end, now, *params]):
            yield hit, [(dim, value) for dim, value in orjson.loads(dims or "[]")], count

    def span_worst(self, goal: int, start: int, end: int, limit: int, excluded: Sequence[int] = ()) -> list[Worst]:
        """`worst` over the observations at [start, end) instead of one goal window."""
        where, params = self._excluding(excluded, "f.n")
        select = ("SELECT f.n, k.source, k.id, f.at, f.weight, f.detail, k.horizon FROM kpi_facts f "
                  "JOIN kpi_tickets k ON k.n = f.n WHERE f.goal = ? AND f.at >= ? AND f.at < ? AND f.against = 1 "
                  f"AND f.running = 0{where}")
        rows = self.conn.execute(select + " ORDER BY f.weight DESC, f.at DESC LIMIT ?",
                                 [goal, start, end, *params, limit]).fetchall()
        if len(rows) == limit:
            last = rows[-1]
            seen = {row[0] for row in rows}
            rows += [row for row in self.conn.execute(select + " AND f.weight = ? AND f.at = ?",
                                                      [goal, start, end, *params, last[4], last[3]])
                     if row[0] not in seen]
        return [Worst(*row) for row in rows]

    def span_running_against(self, goal: int, start: int, end: int, now: int,
                             excluded: Sequence[int] = ()) -> list[Worst]:
        """`running_against` of one goal over the observations at [start, end)."""
        where, params = self._excluding(excluded, "f.n")
        return [Worst(*row) for row in self.conn.execute(
            "SELECT f.n, k.source, k.id, f.at, f.weight, f.detail, k.horizon FROM kpi_facts f "
            "JOIN kpi_tickets k ON k.n = f.n WHERE f.running = 1 AND f.against = 1 AND +f.goal = ? "
            f"AND +f.at >= ? AND +f.at < ? AND (f.turn IS NULL OR f.turn < ?){where}",
            [goal, start, end, now, *params])]

    def beyond_created_before(self, now: int, created: int) -> list[tuple[str, str]]:
        """Tickets whose facts do not hold at `now` and that were created before `created`."""
        return self.conn.execute("SELECT source, id FROM kpi_tickets WHERE horizon > ? AND created < ?",
                                 [now, created]).fetchall()

    def category_counts(self, start: int, end: int, excluded: Sequence[int] = ()) -> tuple[int, dict[int, int]]:
        """(tickets created in [start, end), tickets per category bit)."""
        where, params = self._excluding(excluded)
        counts: dict[int, int] = {}
        total = 0
        for cats, count in self.conn.execute(
                f"SELECT cats, count(*) FROM kpi_tickets WHERE created >= ? AND created < ?{where} GROUP BY cats",
                [start, end, *params]):
            total += count
            bit = 0
            while cats >> bit:
                if cats >> bit & 1:
                    counts[bit] = counts.get(bit, 0) + count
                bit += 1
        return total, counts

    def measure_counts(self, now: int, excluded: Sequence[int] = ()) -> Iterator[tuple[int, int, int, int, int]]:
        """(measure bit set, tickets, SLA targets met, breached, running) at `now`."""
        where, params = self._excluding(excluded)
        turned = "(coalesce(sla_turn1 < ?, 0) + coalesce(sla_turn2 < ?, 0))"
        yield from self.conn.execute(
            f"SELECT measures, count(*), sum(sla_met), sum(sla_breached + {turned}), sum(sla_running - {turned}) "
            f"FROM kpi_tickets WHERE measures != 0 AND error IS NULL{where} GROUP BY measures",
            [now, now, now, now, *params])

    def effect_counts(self, goal: int, spans: Sequence[tuple[int, int]], now: int, measure_bit: int | None,
                      excluded: Sequence[int] = ()) -> Iterator[tuple[int, int, int, int]]:
        """(span index, group, hits, tickets) of one goal's observations in each of `spans` ([start,
        end) each) that exist at `now`; group 0 (the pilot group, or everyone when `measure_bit` is
        None), 1 (the control group) or -1 (neither). Whole hours come from kpi_hours, the rest
        from the facts themselves."""
        where, params = self._excluding(excluded, "f.n")
        numbers = orjson.dumps(list(excluded)).decode()
        select = ("SELECT k.pilots, k.controls, sum(f.hit), count(*) FROM kpi_facts f JOIN kpi_tickets k ON k.n = f.n "
                  "WHERE f.goal = ? AND f.at >= ? AND f.at < ? AND ")
        for index, (start, end) in enumerate(spans):
            first, last = -(-start // HOUR), end // HOUR       # the whole hours inside [start, end)
            cells: dict[int, list[int]] = {}
            parts: list[tuple[int, str, list[Any]]] = []
            if first < last:
                parts.append((1, "SELECT pilots, controls, sum(numerator), sum(denominator) FROM kpi_hours "
                                 "WHERE goal = ? AND hour >= ? AND hour < ? GROUP BY pilots, controls",
                              [goal, first, last]))
                ranges = [(start, first * HOUR), (last * HOUR, end)]
            else:
                ranges = [(start, end)]
            for a, b in ranges:
                if a < b:
                    parts.append((1, select + "f.turn IS NULL GROUP BY 1, 2", [goal, a, b]))
            # `+f.goal`: these few rows are found through the turn index or by ticket, not by
            # scanning the goal's whole span on the (goal, at) index.
            unindexed = select.replace("f.goal = ? AND f.at >= ? AND f.at < ?",
                                       "+f.goal = ? AND +f.at >= ? AND +f.at < ?")
            parts.append((1, unindexed + f"f.turn IS NOT NULL AND f.turn < ?{where} GROUP BY 1, 2",
                          [goal, start, end, now, *params]))
            if excluded:
                parts.append((-1, unindexed + "f.turn IS NULL AND f.n IN (SELECT value FROM json_each(?)) "
                                  "GROUP BY 1, 2", [goal, start, end, numbers]))
            for sign, sql, values in parts:
                for pilots, controls, hits, tickets in self.conn.execute(sql, values):
                    if measure_bit is None:
                        group = 0
                    else:
                        group = 0 if pilots >> measure_bit & 1 else 1 if controls >> measure_bit & 1 else -1
                    cell = cells.setdefault(group, [0, 0])
                    cell[0] += sign * hits
                    cell[1] += sign * tickets
            for group, (hits, tickets) in cells.items():
                if tickets:
                    yield index, group, hits, tickets

    def tickets(self, keys: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str, str]]:
        """(source, id, stored JSON) of these tickets that are stored and not deleted."""
        for source, ticket_id in keys:
            row = self.conn.execute("SELECT data FROM tickets WHERE source = ? AND id = ? AND deleted = 0",
                                    [source, ticket_id]).fetchone()
            if row is not None:
                yield source, ticket_id, self.store.ticket_data(row[0])

    def keys(self, tickets: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The key of each of these tickets."""
        by_source: dict[str, list[str]] = {}
        for source, ticket_id in tickets:
            by_source.setdefault(source, []).append(ticket_id)
        found: dict[tuple[str, str], str] = {}
        for source, ids in by_source.items():
            for ticket_id, key in self.conn.execute(
                    "SELECT id, key FROM tickets WHERE source = ? AND id IN (SELECT value FROM json_each(?))",
                    [source, orjson.dumps(ids).decode()]):
                found[(source, ticket_id)] = key
        return found

    def links(self, source: str, ticket_id: str) -> tuple[str, str | None]:
        """A ticket's key and URL, for the evidence."""
        key, data = self.conn.execute("SELECT key, data FROM tickets WHERE source = ? AND id = ?",
                                      [source, ticket_id]).fetchone()
        return key, orjson.loads(self.store.ticket_data(data)).get("url")
