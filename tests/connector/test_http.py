"""The shared HTTP client: retry policy, waits, error classification, no secrets anywhere."""

from __future__ import annotations

import logging
import random

import pytest
import requests
import responses
import urllib3.exceptions

from deskplan.errors import AuthError, RateLimited, ServerError, Unreachable
from deskplan.transport.http import HttpClient, Rejected, RetryPolicy

BASE = "https://acme.zendesk.com"
TOKEN = "WITNESS-TOKEN-123"
DATE = "Wed, 21 Oct 2026 07:28:00 GMT"


class FakeTime:
    """Injected sleep and clock: sleeping advances the clock, nothing really waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def refused() -> requests.exceptions.ConnectionError:
    cause = urllib3.exceptions.NewConnectionError(None, "Connection refused")
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", cause))


def dropped() -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))


@responses.activate
def test_given_429_with_retry_after_seconds_when_get_then_waits_at_least_that_long(client, fake_time):
    responses.get(f"{BASE}/api/v2/x", status=429, headers={"Retry-After": "7"}, json={"error": "APIRateLimitExceeded"})
    responses.get(f"{BASE}/api/v2/x", json={"ok": True})

    assert client.get_json("/api/v2/x") == {"ok": True}
    assert len(fake_time.waits) == 1
    assert 7 <= fake_time.waits[0] <= 8
    assert client.requests == 2


@responses.activate
def test_given_429_with_http_date_when_get_then_waits_until_that_date(client, fake_time):
    responses.get(f"{BASE}/x", status=429,
                  headers={"Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT", "Date": DATE})
    responses.get(f"{BASE}/x", json=[])

    assert client.get_json("/x") == []
    assert 30 <= fake_time.waits[0] <= 31


@responses.activate
def test_given_jira_reset_header_without_retry_after_when_get_then_waits_until_reset(client, fake_time):
    responses.get(f"{BASE}/x", status=429, headers={"X-RateLimit-Reset": "2026-10-21T07:30Z", "Date": DATE})
    responses.get(f"{BASE}/x", json={})

    client.get_json("/x")
    assert 120 <= fake_time.waits[0] <= 121


@responses.activate
def test_given_503_without_hint_then_backoff_is_exponential_with_positive_jitter(client, fake_time):
    for _ in range(3):
        responses.get(f"{BASE}/x", status=503)
    responses.get(f"{BASE}/x", json={})

    client.get_json("/x")
    assert [int(w) for w in fake_time.waits] == [1, 2, 4]
    assert all(w >= base for w, base in zip(fake_time.waits, [1, 2, 4], strict=True))


@responses.activate
def test_given_5xx_every_time_then_server_error_after_the_attempt_budget(client, fake_time):
    responses.get(f"{BASE}/x", status=502)

    with pytest.raises(ServerError) as err:
        client.get_json("/x")
    assert err.value.status == 502
    assert "gave up after 8 attempts" in str(err.value)
    assert client.requests == 8
    assert len(fake_time.waits) == 7


@responses.activate
def test_given_retry_after_beyond_the_budget_then_rate_limited_at_once_without_sleeping(fake_time):
    client = HttpClient(BASE, auth=("u", TOKEN), source="zd", sleep=fake_time.sleep, clock=fake_time.clock,
                        max_wait=600)
    responses.get(f"{BASE}/x", status=429, headers={"Retry-After": "3600"})

    with pytest.raises(RateLimited) as err:
        client.get_json("/x")
    assert err.value.retry_after == 3600
    assert fake_time.waits == []
    assert client.requests == 1


@responses.activate
def test_given_500_on_get_then_retried(client):
    responses.get(f"{BASE}/x", status=500, body="Internal Server Error")
    responses.get(f"{BASE}/x", json={"a": 1})
    assert client.get_json("/x") == {"a": 1}


@responses.activate
def test_given_cut_off_json_body_on_get_then_retried(client, fake_time):
    responses.get(f"{BASE}/x", body='{"tickets": [{"id": 1}, {"id"', content_type="application/json")
    responses.get(f"{BASE}/x", body=requests.exceptions.ChunkedEncodingError("IncompleteRead"))
    responses.get(f"{BASE}/x", json={"tickets": []})

    assert client.get_json("/x") == {"tickets": []}
    assert client.requests == 3


@responses.activate
def test_given_timeouts_and_dropped_connections_on_get_then_retried_then_unreachable(client):
    responses.get(f"{BASE}/x", body=requests.exceptions.ReadTimeout("read timed out"))
    responses.get(f"{BASE}/x", body=dropped())
    responses.get(f"{BASE}/x", json={})
    assert client.get_json("/x") == {}

    responses.get(f"{BASE}/y", body=refused())
    with pytest.raises(Unreachable):
        client.get_json("/y")


@pytest.mark.parametrize("failure", [
    requests.exceptions.ReadTimeout("read timed out"),
    dropped(),
    requests.exceptions.ChunkedEncodingError("IncompleteRead"),
])
@responses.activate
def test_given_post_that_may_have_reached_the_server_then_not_retried(client, failure):
    responses.post(f"{BASE}/api/v2/tickets", body=failure)

    with pytest.raises((Unreachable, ServerError)):
        client.send("POST", "/api/v2/tickets", json={"ticket": {}}, retry="connect_only")
    assert client.requests == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@responses.activate
def test_given_5xx_on_a_write_then_not_retried(client, status):
    responses.put(f"{BASE}/api/v2/tickets/1", status=status)

    with pytest.raises(ServerError):
        client.send("PUT", "/api/v2/tickets/1", json={}, retry="connect_only")
    assert client.requests == 1


@responses.activate
def test_given_post_refused_before_sending_or_429_then_retried_in_connect_only_mode(client, fake_time):
    responses.post(f"{BASE}/api/v2/tickets", body=refused())
    responses.post(f"{BASE}/api/v2/tickets", body=requests.exceptions.ConnectTimeout("connect timed out"))
    responses.post(f"{BASE}/api/v2/tickets", status=429, headers={"Retry-After": "3"})
    responses.post(f"{BASE}/api/v2/tickets", status=201, json={"ticket": {"id": 9}}, headers={"Location": "/t/9"})

    result = client.send("POST", "/api/v2/tickets", json={"ticket": {}}, retry="connect_only")
    assert (result.status, result.json) == (201, {"ticket": {"id": 9}})
    assert client.requests == 4
    assert fake_time.waits[2] >= 3


@responses.activate
def test_given_never_mode_then_even_429_goes_back_to_the_caller(client):
    responses.post(f"{BASE}/x", status=429, headers={"Retry-After": "2"})
    with pytest.raises(RateLimited) as err:
        client.send("POST", "/x", json={}, retry="never")
    assert err.value.retry_after == 2
    assert client.requests == 1


@responses.activate
def test_given_safe_write_then_retried_like_a_get(client):
    responses.put(f"{BASE}/x", status=503)
    responses.put(f"{BASE}/x", json={"ok": 1})
    assert client.send("PUT", "/x", json={}, retry="safe").json == {"ok": 1}


@responses.activate
def test_delete_204_gives_an_empty_result(client):
    responses.delete(f"{BASE}/api/v2/tickets/1", status=204)
    assert client.send("DELETE", "/api/v2/tickets/1", retry="never").json is None


@pytest.mark.parametrize("status", [401, 403])
@responses.activate
def test_given_401_or_403_then_auth_error_never_retried(client, status):
    responses.get(f"{BASE}/x", status=status, json={"error": "Couldn't authenticate you"})
    with pytest.raises(AuthError) as err:
        client.get_json("/x")
    assert err.value.status == status
    assert client.requests == 1


@responses.activate
def test_given_4xx_then_rejected_with_the_helpdesk_code_and_path_without_query(client):
    responses.get(f"{BASE}/api/v2/tickets/5.json", status=404,
                  json={"error": "RecordNotFound", "description": "Not found"})
    with pytest.raises(Rejected) as err:
        client.get_json("/api/v2/tickets/5.json", params={"cursor": "abc"})
    assert err.value.code == "RecordNotFound"
    assert err.value.where == "GET /api/v2/tickets/5.json"
    assert str(err.value) == "[zd] GET /api/v2/tickets/5.json -> 404: request rejected (RecordNotFound: Not found)"


@responses.activate
def test_a_record_invalid_names_its_fields_and_never_their_descriptions(client):
    responses.post(f"{BASE}/api/v2/tickets.json", status=422, json={
        "error": "RecordInvalid", "description": "Record validation errors",
        "details": {"group": [{"description": "Group: is invalid"}],
                    "assignee": [{"description": "Assignee: is not a member of the group"}],
                    "token=s3cret": [{"description": "s3cret"}]}})
    with pytest.raises(Rejected) as err:
        client.send("POST", "/api/v2/tickets.json", json={"ticket": {}}, retry="connect_only")
    assert str(err.value) == ("[zd] POST /api/v2/tickets.json -> 422: request rejected (RecordInvalid: Record "
                              "validation errors (invalid fields: assignee, group))")
    assert client.requests == 1


@responses.activate
def test_given_jira_error_body_then_first_message_without_the_body(client):
    responses.post(f"{BASE}/rest/api/3/issue", status=400,
                   json={"errorMessages": [], "errors": {"summary": "Field 'summary' cannot be set.", "x": "y"}})
    with pytest.raises(Rejected) as err:
        client.send("POST", "/rest/api/3/issue", json={}, retry="never")
    assert err.value.code is None
    assert "invalid fields: summary, x" in str(err.value)
    assert "cannot be set" not in str(err.value)


@responses.activate
def test_next_page_links_to_another_host_are_refused(client):
    with pytest.raises(Rejected):
        client.get_json("https://evil.example/api/v2/tickets.json")
    assert client.requests == 0

    responses.get(f"{BASE}/api/v2/tickets.json", json={"tickets": []})
    assert client.get_json(f"{BASE}/api/v2/tickets.json?page=2") == {"tickets": []}


@responses.activate
def test_basic_auth_is_sent(client):
    responses.get(f"{BASE}/x", json={})
    client.get_json("/x")
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")


@responses.activate
def test_retries_are_logged_at_warning_with_method_path_status_wait_attempt(client, caplog):
    responses.get(f"{BASE}/api/v2/x", status=429, headers={"Retry-After": "7"})
    responses.get(f"{BASE}/api/v2/x", json={})
    with caplog.at_level(logging.WARNING, logger="deskplan.http"):
        client.get_json("/api/v2/x", params={"cursor": "SECRET-CURSOR"})

    [record] = caplog.records
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert message.startswith("GET /api/v2/x -> 429; attempt 1/8 failed, retrying in 7.")
    assert "SECRET-CURSOR" not in message


def test_witness_token_never_in_logs_or_errors(caplog, fake_time):
    """Whatever fails, the token shows up in no log record and no exception text."""
    client = HttpClient(BASE, auth=("me/token", TOKEN), source="zd", sleep=fake_time.sleep,
                        clock=fake_time.clock, max_attempts=2)
    failures = [
        dict(status=401, json={"error": "Couldn't authenticate you", "echo": TOKEN}),
        dict(status=404, json={"error": "RecordNotFound", "description": "Not found", "token": TOKEN}),
        dict(status=429, body=f"slow down {TOKEN}"),
        dict(status=500, body=f"trace with {TOKEN}"),
        dict(status=200, body=f'{{"cut": "{TOKEN}'),
        dict(body=requests.exceptions.ReadTimeout(f"timed out {TOKEN}")),
        dict(body=refused()),
    ]
    texts: list[str] = [repr(client)]
    with caplog.at_level(logging.DEBUG):
        for failure in failures:
            for method, retry in (("GET", "safe"), ("POST", "connect_only"), ("PUT", "never")):
                with responses.RequestsMock() as mock:
                    mock.add(method, f"{BASE}/x", **failure)
                    with pytest.raises(Exception) as err:
                        client.send(method, "/x", json={"a": 1}, retry=retry)
                texts += [str(err.value), repr(err.value), repr(err.value.__cause__), repr(err.value.__context__)]
    texts += [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    assert caplog.records, "the retries should have been logged"
    assert not [t for t in texts if TOKEN in t]


def test_policy_wait_never_below_hint():
    policy = RetryPolicy(jitter=1.0)
    rng = random.Random(1)
    waits = [policy.wait(attempt, 7.0, rng) for attempt in range(1, 50)]
    assert min(waits) >= 7.0 and max(waits) <= 8.0
    assert [policy.wait(n, None, random.Random(0)) // 1 for n in (1, 2, 3, 7, 8)] == [1, 2, 4, 60, 60]


@responses.activate
def test_bodies_the_fast_decoder_refuses_are_read_by_the_standard_library(client):
    responses.get(f"{BASE}/nan", body='{"value": NaN, "ids": [9223372036854775807]}', content_type="application/json")
    responses.get(f"{BASE}/utf16", body='{"name": "华东客服"}'.encode("utf-16"), content_type="application/json")

    nan = client.get_json("/nan")
    assert nan["value"] != nan["value"] and nan["ids"] == [9223372036854775807]
    assert client.get_json("/utf16") == {"name": "华东客服"}


class _Proxy:
    """A loopback HTTP proxy that answers every request itself and remembers what it was asked."""

    def __init__(self) -> None:
        import http.server
        import threading

        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                body = b'{"via": "proxy"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_proxy_named_in_the_environment_carries_the_requests(monkeypatch):
    proxy = _Proxy()
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        client = HttpClient("http://helpdesk.invalid", auth=("a", "b"), source="zd", max_attempts=1)

        assert client.get_json("/api/v2/users/me.json") == {"via": "proxy"}
        assert client.get_json("/api/v2/users/me.json") == {"via": "proxy"}
        assert proxy.seen == ["http://helpdesk.invalid/api/v2/users/me.json"] * 2
    finally:
        proxy.close()


def test_a_site_listed_in_no_proxy_is_reached_directly(monkeypatch):
    proxy = _Proxy()
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "helpdesk.invalid")
        client = HttpClient("http://helpdesk.invalid", auth=("a", "b"), source="zd", max_attempts=1)

        with pytest.raises(Unreachable):
            client.get_json("/api/v2/users/me.json")      # directly: the name does not resolve
        assert proxy.seen == []
    finally:
        proxy.close()
