"""A helpdesk that cannot be connected to: a few quick attempts, not the rate-limit budget; an
error that names the site (scheme, host, port; never credentials) and tells "never connected"
from "connection dropped after sending"."""

from __future__ import annotations

import socket

import pytest
import requests
import responses
import urllib3.exceptions

from deskplan.errors import NotConnected, ServerError, Unreachable
from deskplan.transport.http import HttpClient, site_of

from .test_http import BASE, TOKEN, dropped, refused


def unresolved() -> requests.exceptions.ConnectionError:
    cause = urllib3.exceptions.NameResolutionError("acme.zendesk.com", None, socket.gaierror(-2, "Name or service"))
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", cause))


@pytest.mark.parametrize("mode", ["safe", "connect_only"])
@pytest.mark.parametrize(("failure", "reason"), [
    (refused, "ConnectionError"),
    (unresolved, "host name not found"),
    (lambda: requests.exceptions.ConnectTimeout("connect timed out"), "connect timed out"),
])
@responses.activate
def test_a_site_that_cannot_be_connected_to_is_given_up_on_after_three_quick_attempts(
        client, fake_time, mode, failure, reason):
    responses.post(f"{BASE}/api/v2/tickets", body=failure())

    with pytest.raises(NotConnected) as err:
        client.send("POST", "/api/v2/tickets", json={}, retry=mode)

    assert client.requests == 3 and err.value.attempts == 3
    assert sum(fake_time.waits) < 3             # 0.5 s, then 1 s, each with at most 0.5 s of jitter
    assert str(err.value) == (f"[zd] POST /api/v2/tickets: could not connect to https://acme.zendesk.com:443 "
                              f"({reason}) (gave up after 3 attempts)")
    assert err.value.exit_status == 4


@responses.activate
def test_an_attempt_that_reached_the_server_makes_the_error_no_longer_provably_unsent(client):
    responses.put(f"{BASE}/x", status=503)         # a gateway may answer 503 after the write landed
    responses.put(f"{BASE}/x", body=refused())

    with pytest.raises(Unreachable) as err:
        client.send("PUT", "/x", json={}, retry="safe")
    assert not isinstance(err.value, NotConnected)


@responses.activate
def test_a_connection_dropped_after_sending_is_not_a_connect_failure(client):
    responses.post(f"{BASE}/x", body=dropped())

    with pytest.raises(Unreachable) as err:
        client.send("POST", "/x", json={}, retry="connect_only")
    assert not isinstance(err.value, NotConnected)
    assert "no answer from https://acme.zendesk.com:443" in str(err.value)
    assert client.requests == 1


@responses.activate
def test_a_short_outage_in_the_middle_of_a_run_is_ridden_out(client):
    responses.get(f"{BASE}/x", body=refused())
    responses.get(f"{BASE}/x", body=refused())
    responses.get(f"{BASE}/x", json={"ok": True})

    assert client.get_json("/x") == {"ok": True}


@responses.activate
def test_rate_limits_still_get_the_whole_budget(client, fake_time):
    for _ in range(4):
        responses.get(f"{BASE}/x", status=429, headers={"Retry-After": "5"})
    responses.get(f"{BASE}/x", json={})

    assert client.get_json("/x") == {}
    assert client.requests == 5


def test_a_real_refused_port_names_the_site_without_credentials():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = HttpClient(f"http://bob-admin:{TOKEN}@127.0.0.1:{port}/base", auth=("agent", TOKEN), source="zd",
                        sleep=lambda s: None)

    with pytest.raises(NotConnected) as err:
        client.get_json("/api/v2/users/me.json")

    message = str(err.value)
    assert f"could not connect to http://127.0.0.1:{port} (connection refused)" in message
    assert TOKEN not in message and "bob-admin" not in message


@pytest.mark.parametrize(("url", "site"), [
    ("https://acme.zendesk.com", "https://acme.zendesk.com:443"),
    ("https://bot:secret@acme.atlassian.net/jira/?token=x", "https://acme.atlassian.net:443"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
    ("http://[::1]:9000", "http://[::1]:9000"),
    ("http://Example.COM", "http://example.com:80"),
])
def test_site_of_is_scheme_host_and_port_only(url, site):
    assert site_of(url) == site


def test_a_server_error_is_unchanged(client):
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/x", status=500)
        with pytest.raises(ServerError):
            client.get_json("/x")
