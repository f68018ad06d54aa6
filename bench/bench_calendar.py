"""How many calendar computations per second: `python bench/bench_calendar.py [--n N]`.

Prints one line per operation: calls per second on a warm calendar (year tables built), and
the one-off cost of building a year's table (holidays data included). Random instants over
three years, seeded, so runs are comparable. Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta, timezone

from deskplan.model import EventKind, Status, Ticket, TimelineEvent
from deskplan.rules.calendar import CALENDAR_24X7, Calendar, build_calendar
from deskplan.rules.calendar_spec import CalendarSpec
from deskplan.rules.engine import SlaTarget
from deskplan.rules.sla import compute_clock

UTC = timezone.utc
BASE = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = 3 * 365 * 86400


def support_hours() -> Calendar:
    return build_calendar("support-hours", CalendarSpec.model_validate({
        "timezone": "Asia/Shanghai",
        "hours": {"mon-fri": ["09:00-12:00", "13:00-18:00"], "sat": ["10:00-14:00"]},
        "holidays": {"country": "CN", "dates": ["2026-12-24"]},
        "extra_workdays": ["2026-12-26"],
    }))


def new_york_nights() -> Calendar:
    return build_calendar("ny", CalendarSpec.model_validate({
        "timezone": "America/New_York",
        "hours": {"mon-thu": "08:00-20:00", "fri": "22:00-06:00"},
        "holidays": {"country": "US"},
    }))


def rate(label: str, calls: int, seconds: float) -> None:
    print(f"{label:<58} {calls / seconds:>12,.0f} /s   ({seconds * 1e6 / calls:.2f} µs each)")


def bench(cal: Calendar, n: int, rng: random.Random) -> None:
    instants = [BASE + timedelta(seconds=rng.randrange(SPAN)) for _ in range(n)]
    short = [(t, t + timedelta(seconds=rng.randrange(3 * 86400))) for t in instants]
    long = [(t, t + timedelta(days=rng.randrange(30, 400))) for t in instants]
    durations = [timedelta(minutes=rng.randrange(1, 60 * 24 * 10)) for _ in instants]
    cal.elapsed(BASE - timedelta(days=400), BASE + timedelta(seconds=SPAN + 800 * 86400))   # warm the tables

    spans = ((f"{cal.name}: elapsed over <= 3 days", short), (f"{cal.name}: elapsed over 1-13 months", long))
    for label, pairs in spans:
        started = time.perf_counter()
        for a, b in pairs:
            cal.elapsed(a, b)
        rate(label, n, time.perf_counter() - started)
    started = time.perf_counter()
    for t, d in zip(instants, durations, strict=True):
        cal.add(t, d)
    rate(f"{cal.name}: add up to 10 days of business time", n, time.perf_counter() - started)
    started = time.perf_counter()
    for t in instants:
        cal.is_working(t)
    rate(f"{cal.name}: is_working", n, time.perf_counter() - started)


def bench_tables(n_years: int) -> None:
    cal = support_hours()
    started = time.perf_counter()
    for year in range(2000, 2000 + n_years):
        cal.elapsed(datetime(year, 6, 1, tzinfo=UTC), datetime(year, 6, 2, tzinfo=UTC))
    seconds = time.perf_counter() - started
    print(f"{'support-hours: build one year table (CN holidays)':<58} {seconds * 1000 / n_years:>12.1f} ms each")


def bench_clocks(n: int, rng: random.Random) -> None:
    cal = support_hours()
    target = SlaTarget("resolution", timedelta(hours=24), "support-hours", "bench")
    tickets = []
    for i in range(n):
        created = BASE + timedelta(seconds=rng.randrange(SPAN))
        moments = sorted(created + timedelta(seconds=rng.randrange(10 * 86400)) for _ in range(4))
        statuses = [Status.OPEN, Status.WAITING_CUSTOMER, Status.OPEN, Status.SOLVED]
        timeline = tuple(TimelineEvent(at=t, kind=EventKind.STATUS, status=s)
                         for t, s in zip(moments, statuses, strict=True))
        tickets.append(Ticket(source="b", id=str(i), key=str(i), status=Status.SOLVED, created_at=created,
                              updated_at=moments[-1], timeline=timeline))
    now = BASE + timedelta(seconds=SPAN)
    started = time.perf_counter()
    for ticket in tickets:
        compute_clock(ticket, target, cal, now)
    rate("support-hours: compute_clock (4 status changes, one pause)", n, time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="calls per figure")
    args = parser.parse_args()
    rng = random.Random(7)
    for cal in (support_hours(), new_york_nights(), CALENDAR_24X7):
        bench(cal, args.n, rng)
    bench_tables(10)
    bench_clocks(args.n // 4, rng)


if __name__ == "__main__":
    main()
