"""Durations as rule owners write them, and YAML loaded with the position of every part."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from deskplan.rules.durations import DurationError, format_duration, format_hours, parse_duration
from deskplan.rules.yamlload import Pos, YamlSyntaxError, load_yaml_text


@pytest.mark.parametrize("text, expected", [
    ("30m", timedelta(minutes=30)),
    ("12h", timedelta(hours=12)),
    ("2d", timedelta(days=2)),
    ("1h30m", timedelta(minutes=90)),
    ("1w2d", timedelta(days=9)),
    ("90m", timedelta(minutes=90)),
    (" 8h ", timedelta(hours=8)),
])
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("value, message", [
    ("30", "invalid duration '30': expected a duration such as 30m, 12h, 2d or 1h30m"),
    ("30s", "invalid duration '30s': expected a duration such as 30m, 12h, 2d or 1h30m"),
    ("30m1h", "invalid duration '30m1h': expected a duration such as 30m, 12h, 2d or 1h30m"),
    ("1h 30m", "invalid duration '1h 30m': expected a duration such as 30m, 12h, 2d or 1h30m"),
    ("", "invalid duration '': expected a duration such as 30m, 12h, 2d or 1h30m"),
    ("0m", "invalid duration '0m': a duration must be longer than zero"),
    (12, "expected a duration such as 30m, 12h, 2d or 1h30m, got 12"),
    (True, "expected a duration such as 30m, 12h, 2d or 1h30m, got True"),
])
def test_invalid_durations(value, message):
    with pytest.raises(DurationError) as caught:
        parse_duration(value)
    assert str(caught.value) == message


@pytest.mark.parametrize("value, text", [
    (timedelta(minutes=90), "1h30m"), (timedelta(days=2), "2d"), (timedelta(days=1, minutes=5), "1d5m"),
    (timedelta(0), "0m"),
])
def test_format_duration_reads_back(value, text):
    assert format_duration(value) == text
    if value:
        assert parse_duration(text) == value


@pytest.mark.parametrize("value, text", [
    (timedelta(hours=24), "24h"), (timedelta(hours=466, minutes=30), "466h30m"), (timedelta(minutes=45), "45m"),
    (timedelta(0), "0m"),
])
def test_business_time_is_shown_in_hours_never_days(value, text):
    assert format_hours(value) == text
    if value:
        assert parse_duration(text) == value


@pytest.mark.parametrize("value", [timedelta(seconds=59), timedelta(seconds=18, microseconds=401)])
def test_business_time_under_a_minute_is_zero_minutes_not_seconds(value):
    assert format_hours(value) == "0m"


def test_positions_of_keys_and_values():
    doc = load_yaml_text("""\
plan: {id: p, start: 2026-01-05}
rules:
  - id: r1
    when: {tags: [vip, "金牌"]}
""", "f.yaml")
    assert doc.data == {"plan": {"id": "p", "start": date(2026, 1, 5)},
                        "rules": [{"id": "r1", "when": {"tags": ["vip", "金牌"]}}]}
    assert doc.key_pos(("rules", 0, "when")) == Pos(4, 5)
    assert doc.value_pos(("rules", 0, "when")) == Pos(4, 11)
    assert doc.value_pos(("rules", 0, "when", "tags", 1)) == Pos(4, 24)
    assert doc.value_pos(("plan", "start")) == Pos(1, 22)
    assert doc.value_pos(("rules", 0, "then", "measure")) == Pos(3, 5)    # nearest ancestor that exists
    assert str(doc.problem(("rules", 0, "id"), "bad")) == "f.yaml:3:9: bad"


def test_yaml_is_read_as_yaml_1_2():
    doc = load_yaml_text("a: no\nb: on\nc: 2026-03-02T09:00:00+08:00\nd: 1.5\n", "f.yaml")
    assert doc.data == {"a": "no", "b": "on", "c": datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc), "d": 1.5}
    assert type(doc.data["c"]) is datetime and type(doc.data["d"]) is float


def test_syntax_errors_carry_their_position():
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml_text("rules:\n\t- id: x\n", "f.yaml")
    assert str(caught.value.problem) == (
        "f.yaml:2:1: a tab in the indentation: YAML indents with spaces only; type spaces instead "
        "(line 1 is not indented)"
    )


def test_other_syntax_errors_keep_the_parsers_words():
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml_text("rules:\n  - id: [x\n", "f.yaml")
    assert str(caught.value.problem) == (
        "f.yaml:3:1: YAML syntax: while parsing a flow sequence, expected ',' or ']', but got '<stream end>' "
        "(it starts at line 2, column 9)"
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("plan:\n  id: x\n  title: y\n\tstart: 2026-01-05\n",
     "f.yaml:4:1: a tab in the indentation: YAML indents with spaces only; type spaces instead "
     "(line 3 is indented 2 spaces)"),
    ("plan:\n  id: x\n  owner： marketing\n  title: y\n",
     "f.yaml:3:8: a full-width colon '：' after `owner`: YAML needs an ASCII colon and a space; type `owner: `"),
    ("plan:\n  id: x\ngoals： []\n",
     "f.yaml:3:6: a full-width colon '：' after `goals`: YAML needs an ASCII colon and a space; type `goals: `"),
    ("rules:\n  - id: r1\n    when: {group： Billing}\n",
     "f.yaml:3:17: a full-width colon '：' after `group`: YAML needs an ASCII colon and a space; type `group: `"),
    ("rules:\n  - id: r1\n    when: {group: Billing， priority: high}\n",
     "f.yaml:3:26: a full-width comma '，' in a [list] or {mapping}: YAML separates items with an ASCII comma; "
     "type ', '"),
    ("plan:\n  id:\u3000x\n  title: y\n",
     "f.yaml:2:6: a full-width space (U+3000) after ':': YAML needs an ASCII space there; type ': '"),
    ("plan:\n  id: x\n\u3000\u3000title: y\n",
     "f.yaml:3:1: a full-width space (U+3000) in the indentation: YAML indents with ASCII spaces only; "
     "type spaces instead"),
])
def test_tabs_and_full_width_punctuation_say_what_to_type(text, expected):
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml_text(text, "f.yaml")
    assert str(caught.value.problem) == expected


def test_full_width_punctuation_inside_values_is_text():
    text = "plan:\n  title: 目标：满意度从85%提高到90%，三个月内\n  owners: {客服：一线: x, Support：L1: y}\n"
    doc = load_yaml_text(text, "f.yaml")
    assert doc.data == {"plan": {"title": "目标：满意度从85%提高到90%，三个月内",
                                 "owners": {"客服：一线": "x", "Support：L1": "y"}}}
