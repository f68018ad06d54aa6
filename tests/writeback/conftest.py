"""Fixtures shared by the write-back tests against the simulators."""

from __future__ import annotations

import pytest

from .fakes import ledger  # noqa: F401  (a fixture: a ledger on an in-memory state file)
from .harness import Site, make_workspace, scenario, sync

KINDS = ("zendesk", "jira")


@pytest.fixture(scope="module")
def story():
    """The harness story (24 tickets, seed 5, every other one still open at NOW)."""
    return scenario()


@pytest.fixture(params=KINDS)
def site(request, story):
    """The story served by each helpdesk's simulator in turn."""
    site = Site(request.param, story)
    yield site
    site.stop()


@pytest.fixture(scope="module")
def clean_effects(story, tmp_path_factory):
    """What a sync of the story alone leaves in the Zendesk simulator (compact workspace)."""
    site = Site("zendesk", story)
    try:
        sync(make_workspace(tmp_path_factory.mktemp("clean"), site, compact=True))
        return site.effects()
    finally:
        site.stop()
