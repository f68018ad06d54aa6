"""The watermark cursor and the JQL that resumes from it."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings, strategies as st

from deskplan.adapters.jira.watermark import Watermark, jql_for, render_lower_bound

MINUTE = 60_000


def ms(text: str) -> int:
    return round(datetime.fromisoformat(text).timestamp() * 1000)


def test_lower_bound_is_rendered_in_the_users_zone_rounded_down_to_the_minute():
    at = ms("2026-03-02T01:05:30.123+00:00")
    assert render_lower_bound(at, "Australia/Sydney") == "2026/03/02 12:05"     # UTC+11 in March
    assert render_lower_bound(at, "America/Los_Angeles") == "2026/03/01 17:05"
    assert render_lower_bound(at, "UTC") == "2026/03/02 01:05"


def test_lower_bound_steps_out_of_a_daylight_saving_fold():
    # 2026-11-01 01:30 happens twice in Los Angeles; Jira may read the later one.
    first_0130 = ms("2026-11-01T01:30:00-07:00")
    assert render_lower_bound(first_0130, "America/Los_Angeles") == "2026/11/01 00:30"
    second_0130 = ms("2026-11-01T01:30:00-08:00")
    assert render_lower_bound(second_0130, "America/Los_Angeles") == "2026/11/01 01:30"


def test_without_a_known_zone_the_bound_is_early_enough_for_any_zone():
    at = ms("2026-03-02T01:05:00+00:00")
    assert render_lower_bound(at, None) == "2026/03/01 13:05"     # read as UTC-12, the earliest reading


def test_jql_is_bounded_ordered_and_quotes_project_keys():
    since = ms("2026-03-02T01:05:30+00:00")
    assert jql_for(["SD", "HELP"], since, "UTC") == (
        'project in ("SD", "HELP") AND updated >= "2026/03/02 01:05" ORDER BY updated ASC, key ASC'
    )
    assert jql_for(["SD"], None, "UTC") == 'project in ("SD") ORDER BY updated ASC, key ASC'
    assert jql_for([], None, "UTC") == 'updated >= "1970/01/01 00:00" ORDER BY updated ASC, key ASC'


def test_cursor_round_trip_and_empty_cursor():
    mark = Watermark(ms("2026-03-02T01:05:30.123+00:00"), {"10001": ms("2026-03-02T01:05:30.123+00:00")})
    assert Watermark.from_cursor(mark.to_cursor()) == mark
    assert mark.to_cursor() == {"updated_ms": 1772413530123, "seen": {"10001": 1772413530123}, "reconciled_ms": 0,
                                "reconciled_at": 0}
    assert Watermark.from_cursor(None) == Watermark()
    assert Watermark().search_from_ms() is None


def test_same_minute_and_same_millisecond_changes_after_the_watermark():
    t = ms("2026-03-02T01:05:30.123+00:00")
    mark = Watermark().advance([("A", t - 10_000), ("B", t)], overlap_ms=5 * MINUTE)
    assert mark == Watermark(t, {"A": t - 10_000, "B": t})
    assert mark.search_from_ms(5 * MINUTE) == t - 5 * MINUTE
    # Returned again by the minute-precision query: the very versions already processed.
    assert not mark.admits("A", t - 10_000, 5 * MINUTE)
    assert not mark.admits("B", t, 5 * MINUTE)
    # Another issue at the watermark's exact millisecond, one later in the same minute,
    # one the index showed late (before the watermark, inside the overlap), a newer B.
    assert mark.admits("C", t, 5 * MINUTE)
    assert mark.admits("D", t + 15_000, 5 * MINUTE)
    assert mark.admits("E", t - 2 * MINUTE, 5 * MINUTE)
    assert mark.admits("B", t + 1, 5 * MINUTE)
    # Older than the window: returned only because JQL rounds down to the minute.
    assert not mark.admits("F", t - 5 * MINUTE - 1, 5 * MINUTE)


def test_advance_keeps_only_the_overlap_window_and_never_moves_back():
    t = 1_000_000_000
    mark = Watermark(t, {"A": t - 4 * MINUTE, "B": t}).advance([("C", t + 2 * MINUTE), ("D", t - MINUTE)], 5 * MINUTE)
    assert mark == Watermark(t + 2 * MINUTE, {"B": t, "C": t + 2 * MINUTE, "D": t - MINUTE})
    assert Watermark(t, {"B": t}).advance([], 5 * MINUTE) == Watermark(t, {"B": t})


@settings(max_examples=200, deadline=None)
@given(
    runs=st.lists(
        st.lists(st.tuples(st.sampled_from("ABCDEFGH"), st.integers(0, 3 * MINUTE)), max_size=8),
        min_size=1, max_size=6,
    )
)
def test_every_version_is_processed_exactly_once_across_runs(runs):
    """Runs of a sync; before each, some issues change (several in one minute or one ms).

    The search returns every issue's current version at or after the JQL bound (the
    minute below watermark - overlap), ordered by updated then id, as Jira does.
    """
    overlap = MINUTE
    current: dict[str, int] = {}
    clock = 10 * MINUTE
    processed: list[tuple[str, int]] = []
    mark = Watermark()
    for changes in runs:
        for issue, step in changes:
            # Time only moves forward; `step` 0 gives a change in the very same millisecond.
            clock += step
            current[issue] = clock
        since = mark.search_from_ms(overlap)
        bound = None if since is None else since - since % MINUTE
        found = sorted(((u, i) for i, u in current.items() if bound is None or u >= bound))
        admitted = [(i, u) for u, i in found if mark.admits(i, u, overlap)]
        processed.extend(admitted)
        mark = mark.advance(admitted, overlap)
    assert len(processed) == len(set(processed))                     # none twice
    assert set(current.items()) <= set(processed)                    # the latest version of each: none lost
