"""What helpdesk data can hold that deskplan must refuse, or read, or show, without stopping.

The canonical ticket refuses what no helpdesk sends and what would break a later stage; the
HTTP client reads JSON nested deeper than its readers go; text shown on a terminal cannot
steer it; a token that cannot be sent is a configuration error naming its variable.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import responses
from click.testing import CliRunner
from pydantic import ValidationError

from deskplan.app.terminal import printable, printable_line
from deskplan.cli import _print_write, cli
from deskplan.effects import PlannedWrite, WriteKind
from deskplan.errors import ExitStatus
from deskplan.model import CUSTOM_DEPTH, Ticket, ticket_json
from deskplan.transport import deepjson
from deskplan.transport.http import HttpClient

AT = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
BASE = "https://acme.zendesk.com"


def nested(levels, inner=1):
    for _ in range(levels):
        inner = [inner]
    return inner


def fields(**changes):
    return {"source": "zd", "id": "12", "key": "12", "status": "open", "created_at": AT, "updated_at": AT, **changes}


@pytest.mark.parametrize("changes,where", [
    ({"subject": "a \ud800 b"}, "subject: a lone UTF-16 surrogate"),
    ({"tags": ("ok", "\udfff")}, "tags: a lone UTF-16 surrogate"),
    ({"custom": {"1": 2**70, "2": ["\ud83d"]}}, "custom: a lone UTF-16 surrogate"),   # after what orjson refuses
    ({"timeline": ({"at": AT, "kind": "public_reply", "body": "\ud800"},)}, "timeline: a lone UTF-16 surrogate"),
    ({"custom": {"deep": nested(CUSTOM_DEPTH + 1)}}, f"custom.deep: nested deeper than {CUSTOM_DEPTH} levels"),
    ({"custom": {"deep": nested(5000)}}, f"custom.deep: nested deeper than {CUSTOM_DEPTH} levels"),
    ({"created_at": "9999-12-31T23:59:59Z"}, "outside the years 1970 to 2099"),
    ({"created_at": "0001-01-01T00:00:00Z"}, "outside the years 1970 to 2099"),
    ({"updated_at": "0001-01-01T00:00:00+23:59"}, "outside the years 1970 to 2099"),   # astimezone would overflow
    ({"updated_at": "9999-12-31T23:59:59-23:59"}, "outside the years 1970 to 2099"),
    ({"created_at": "1969-12-31T23:59:59Z"}, "outside the years 1970 to 2099"),
    ({"created_at": "2100-01-01T00:00:00Z"}, "outside the years 1970 to 2099"),
    ({"id": "-5"}, "id"),
    ({"id": "abc"}, "id"),
    ({"id": "0"}, "id"),
    ({"id": "12345678901234567890"}, "id"),      # beyond 64 bits
    ({"key": "SD 1"}, "key"),
    ({"key": "\x1b[2J"}, "key"),
    ({"key": ""}, "key"),
])
def test_the_canonical_ticket_refuses_what_would_break_a_later_stage(changes, where):
    with pytest.raises(ValidationError) as caught:
        Ticket.model_validate(fields(**changes))
    assert where in str(caught.value)


def test_the_edges_of_what_it_takes_read_back_equal():
    ticket = Ticket.model_validate(fields(
        id="9223372036854775807", key="SUP-1", created_at="1970-01-01T00:00:00Z",
        updated_at="2099-12-31T23:59:59.999999+00:00", subject="\U0001f600 \u202e", custom={
            "deep": nested(CUSTOM_DEPTH), "big": 2**70, "sla": {"breached": False, "goal_ms": 14400000}}))
    assert Ticket.model_validate_json(ticket_json(ticket)) == ticket


def test_json_nested_beyond_the_readers_is_read_without_recursion():
    body = b'{"tickets": [{"id": 1}, {"id": 2, "custom": ' + b"[" * 5000 + b'"\\ud800"' + b"]" * 5000 + b"}]}"
    data = deepjson.loads(body)
    assert data["tickets"][0] == {"id": 1}
    value, depth = data["tickets"][1]["custom"], 0
    while isinstance(value, list):
        value, depth = value[0], depth + 1
    assert (depth, value) == (5000, "\ud800")
    for bad in (b"", b"[1,]", b'{"a" 1}', b"[1] 2", b"[" * 3000):
        with pytest.raises(ValueError):
            deepjson.loads(bad)


@responses.activate
def test_the_http_client_reads_a_page_nested_too_deep_for_orjson_and_the_standard_library():
    body = b'{"tickets": [{"id": 1, "deep": ' + b"[" * 5000 + b"]" * 5000 + b"}], \"end_of_stream\": true}"
    responses.get(f"{BASE}/api/v2/x", body=body)
    client = HttpClient(BASE, auth=("agent@acme.test/token", "t"), source="zd", sleep=lambda s: None)
    assert client.get_json("/api/v2/x")["tickets"][0]["id"] == 1


@responses.activate
def test_an_error_body_nested_too_deep_is_no_traceback():
    responses.get(f"{BASE}/api/v2/x", status=404, body=b"[" * 5000 + b"]" * 5000)
    client = HttpClient(BASE, auth=("agent@acme.test/token", "t"), source="zd", sleep=lambda s: None)
    with pytest.raises(Exception, match="request rejected") as caught:
        client.get_json("/api/v2/x")
    assert caught.value.status == 404


def test_control_characters_are_shown_as_escapes_not_sent_to_the_terminal():
    assert printable("a\x1b[2Jb\x07\tc\x85\u202ed\ud800") == "a\\x1b[2Jb\\x07\\x09c\\x85\\u202ed\\ud800"
    assert printable_line("x\ty\x1b]0;pwned\x07") == "x\ty\\x1b]0;pwned\\x07"
    assert printable("客服 ✓ plain") == "客服 ✓ plain"


def test_the_dry_run_prints_a_write_quoting_ticket_data_with_escapes(capsys):
    write = PlannedWrite(
        key="0" * 64, kind=WriteKind.TASK, source="zd", origin="rule:follow-up", ticket_id="7", ticket_key="7",
        title="Call \x1b[31mback\x1b[0m", body="first line\r\nrings \x07 the bell\n\u202eevil\n",
        due=AT + timedelta(days=2), owner="support")
    _print_write(write)
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out and "\r" not in out
    assert out.splitlines()[1:] == ["  Call \\x1b[31mback\\x1b[0m", "  | first line", "  | rings \\x07 the bell",
                                    "  | \\u202eevil"]


def test_a_token_that_basic_auth_cannot_carry_is_a_config_error_naming_the_variable(tmp_path):
    (tmp_path / "deskplan.toml").write_text(
        '[[sources]]\nname = "zd"\nkind = "zendesk"\nurl = "http://127.0.0.1:9"\nemail = "a@b.test"\n'
        'token_env = "ZD_TOKEN"\n[state]\npath = "state.db"\n', encoding="utf-8")
    token = "s3cr3t-☃-tøken"
    for args in (["sync"], ["plan", "push"]):
        result = CliRunner().invoke(cli, [*args, "-w", str(tmp_path)], env={"ZD_TOKEN": token},
                                    catch_exceptions=False)
        assert result.exit_code == ExitStatus.INVALID, result.output
        assert "ZD_TOKEN" in result.stderr and "Latin-1" in result.stderr
        assert token not in result.output and "☃" not in result.output and "s3cr3t" not in result.output
    assert not (tmp_path / "state.db").exists()
