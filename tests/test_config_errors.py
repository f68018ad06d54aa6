"""deskplan.toml mistakes, each reported at FILE:LINE:COL in words that say what to change."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskplan.config import load_config
from deskplan.errors import InvalidFiles

SOURCE = """\
[[sources]]
name = "zendesk"
kind = "zendesk"
url = "https://example.zendesk.com"
email = "deskplan@example.com"
token_env = "ZENDESK_API_TOKEN"
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "deskplan.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidFiles) as caught:
        load_config(path)
    return [str(p).replace(f"{tmp_path}/", "") for p in caught.value.problems]


def test_a_misspelt_key_names_the_one_meant_and_is_one_problem(tmp_path):
    text = SOURCE.replace("token_env =", "tokenenv =")
    assert problems(tmp_path, text) == [
        "deskplan.toml:6:1: sources.0.tokenenv: unknown key (did you mean 'token_env'?)",
    ]


def test_an_unknown_key_without_a_close_one_lists_the_keys_of_its_table(tmp_path):
    assert problems(tmp_path, SOURCE + "\n[state]\nfolder = 'x'\n") == [
        "deskplan.toml:9:1: state.folder: unknown key; expected one of: path",
    ]
    assert problems(tmp_path, SOURCE + "\n[writebak]\nsince = 2026-04-01\n") == [
        "deskplan.toml:1:1: writebak: unknown key (did you mean 'writeback'?)",
    ]


def test_a_misspelt_optional_key_in_a_second_source(tmp_path):
    second = SOURCE.replace('"zendesk"\nkind = "zendesk"', '"jsm"\nkind = "jira"') + 'tasks_projet = "SIP"\n'
    assert problems(tmp_path, SOURCE + "\n" + second) == [
        "deskplan.toml:14:1: sources.1.tasks_projet: unknown key (did you mean 'tasks_project'?)",
    ]


@pytest.mark.parametrize(("since", "expected"), [
    ("2026-13-01", "deskplan.toml:9:9: writeback.since: 2026-13-01 is not a date: there is no month 13 "
                   "(months run 01 to 12)"),
    ("2026-02-29", "deskplan.toml:9:9: writeback.since: 2026-02-29 is not a date: February 2026 has 28 days"),
    ("2026-04-31T09:00:00+08:00", "deskplan.toml:9:9: writeback.since: 2026-04-31 is not a date: "
                                  "April 2026 has 30 days"),
    ('"2026-13-01"', "deskplan.toml:9:1: writeback.since: 2026-13-01 is not a date: there is no month 13 "
                     "(months run 01 to 12)"),
])
def test_a_date_that_cannot_be_is_reported_as_a_date_not_as_toml_syntax(tmp_path, since, expected):
    assert problems(tmp_path, f"{SOURCE}\n[writeback]\nsince = {since}\n") == [expected]


def test_other_syntax_errors_keep_toml_s_words(tmp_path):
    assert problems(tmp_path, SOURCE + "\n[writeback]\nsince = 2026-02-01 extra\n") == [
        "deskplan.toml:9:20: TOML syntax: Expected newline or end of document after a statement "
        "(at line 9, column 20)",
    ]
