from datetime import datetime, timedelta, timezone

from deskplan.kpi.results import WindowResult
from deskplan.kpi.status import Line, goal_status, latest_window, trend

UTC = timezone.utc
START = datetime(2026, 1, 1, tzinfo=UTC)
BY = datetime(2026, 4, 1, tzinfo=UTC)       # 90 days later


def window(day: int, value: float | None, *, closed: bool = True, length: int = 30) -> WindowResult:
    start = START + timedelta(days=day)
    return WindowResult(start=start, end=start + timedelta(days=length), label=str(day), numerator=0,
                        denominator=0 if value is None else 100, value=value, met=None, closed=closed)


def at_least(target: float):
    return lambda v: v >= target


def test_line_runs_from_baseline_to_target_then_stays():
    line = Line(START, BY, 0.80, 0.90)
    assert line.at(START - timedelta(days=5)) == 0.80
    assert abs(line.at(START + timedelta(days=45)) - 0.85) < 1e-12
    assert line.at(BY + timedelta(days=10)) == 0.90
    assert abs(line.tolerance - 0.025) < 1e-12
    assert Line(START, BY, 0.05, 0.05).tolerance == 0.01


def test_status_against_the_line():
    line = Line(START, BY, 0.80, 0.90)
    now = START + timedelta(days=50)
    latest = window(0, None)
    # The window [30, 60) is judged at day 45, where the line stands at 0.85; tolerance 0.025.
    expected = 0.85
    now = START + timedelta(days=70)
    for value, status in [(0.95, "met"), (0.90, "met"), (0.86, "on_track"), (0.85, "on_track"),
                          (0.83, "at_risk"), (0.825, "at_risk"), (0.82, "off_track")]:
        latest = window(30, value)
        got, exp = goal_status(latest, line, direction="at_least", now=now, is_met=at_least(0.90))
        assert (got, round(exp, 12)) == (status, round(expected, 12)), value


def test_status_at_most_goal():
    # complaint rate from 10% to 5%: lower is better
    line = Line(START, BY, 0.10, 0.05)
    now = START + timedelta(days=50)
    is_met = lambda v: v <= 0.05   # noqa: E731
    # window [0, 30) is judged at day 15, where the line is at 0.10 - 0.05/6 = 0.0917; tolerance 0.0125
    assert goal_status(window(0, 0.05), line, direction="at_most", now=now, is_met=is_met)[0] == "met"
    assert goal_status(window(0, 0.09), line, direction="at_most", now=now, is_met=is_met)[0] == "on_track"
    assert goal_status(window(0, 0.10), line, direction="at_most", now=now, is_met=is_met)[0] == "at_risk"
    assert goal_status(window(0, 0.105), line, direction="at_most", now=now, is_met=is_met)[0] == "off_track"


def test_past_the_deadline_a_miss_is_off_track_however_close():
    line = Line(START, BY, 0.80, 0.90)
    status, expected = goal_status(window(90, 0.899), line, direction="at_least", now=BY + timedelta(days=40),
                                   is_met=at_least(0.90))
    assert (status, expected) == ("off_track", 0.90)


def test_no_data():
    line = Line(START, BY, 0.80, 0.90)
    assert goal_status(None, line, direction="at_least", now=BY, is_met=at_least(0.9)) == ("no_data", None)


def test_open_window_is_judged_at_now():
    line = Line(START, BY, 0.80, 0.90)
    # window [30, 60) is open at day 48: judged at day 39, where the line is at 0.80 + 0.10 * 39/90
    now = START + timedelta(days=48)
    status, expected = goal_status(window(30, 0.83, closed=False), line, direction="at_least", now=now,
                                   is_met=at_least(0.9))
    assert (status, round(expected, 12)) == ("at_risk", round(0.80 + 0.10 * 39 / 90, 12))


def test_latest_window_prefers_the_latest_closed_one_with_data():
    windows = (window(0, 0.8), window(30, 0.85), window(60, None), window(90, 0.99, closed=False))
    assert latest_window(windows) is windows[1]
    only_open = (window(0, None), window(30, 0.7, closed=False))
    assert latest_window(only_open) is only_open[1]
    assert latest_window((window(0, None),)) is None


def test_trend_in_the_goals_direction():
    windows = (window(0, 0.80), window(30, None), window(60, 0.84))
    assert trend(windows, windows[2], direction="at_least") == ("improving", 0.84 - 0.80)
    assert trend(windows, windows[2], direction="at_most") == ("worsening", 0.84 - 0.80)
    flat = (window(0, 0.80), window(30, 0.804))
    assert trend(flat, flat[1], direction="at_least")[0] == "steady"
    assert trend(flat[:1], flat[0], direction="at_least") == ("n/a", None)
