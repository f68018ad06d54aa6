"""`python -m deskplan_sandbox --kind zendesk|jira [...]`: serve one simulator on 127.0.0.1
until stopped (Ctrl-C). The same options as `deskplan sandbox`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deskplan_sandbox.errors import ConfigError
from deskplan_sandbox.serve import (
    DEFAULT_CLOCK_OFFSET,
    DEFAULT_EMAIL,
    DEFAULT_RATE_WINDOW,
    DEFAULT_TICKETS,
    DEFAULT_TOKEN,
    KIND_DEFAULTS,
    KINDS,
    run,
)
from deskplan_sandbox.zendesk.app import RATINGS_START_TIMES

ZENDESK, JIRA = KIND_DEFAULTS["zendesk"], KIND_DEFAULTS["jira"]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m deskplan_sandbox",
                                description="Serve a local simulator of a helpdesk's API on 127.0.0.1 until stopped. "
                                            "The first line of output is the URL and the credentials; "
                                            "one line per request goes to stderr.")
    p.add_argument("--kind", choices=KINDS, required=True, help="which helpdesk API to simulate")
    p.add_argument("--port", type=int, default=0, help="0 (the default) picks a free port")
    p.add_argument("--email", default=DEFAULT_EMAIL, help="the account's login email (default: %(default)s)")
    p.add_argument("--token", default=DEFAULT_TOKEN, help="the account's API token (default: %(default)s)")
    p.add_argument("--fixtures", type=Path,
                   help="serve these objects (in the helpdesk's own JSON shapes) instead of generated ones")
    p.add_argument("--tickets", type=int, default=DEFAULT_TICKETS,
                   help="generated tickets when no --fixtures (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generator and of --faults (default: 0)")
    p.add_argument("--faults", type=float, default=0.0,
                   help="share of requests that fail: 429, 5xx, dropped connections, cut-off bodies (0 to 1)")
    p.add_argument("--rate-limit", type=int, default=None,
                   help="Zendesk: incremental export requests per window (default: "
                        f"{ZENDESK['rate_limit']}, Zendesk's); Jira: requests per window per account "
                        f"(default: {JIRA['rate_limit']}, none: API tokens meet the burst limits); 0 = unlimited")
    p.add_argument("--rate-window", type=float, default=DEFAULT_RATE_WINDOW,
                   help="length of a rate-limit window in seconds (default: %(default)s)")
    p.add_argument("--clock-offset", type=float, default=DEFAULT_CLOCK_OFFSET, metavar="SECONDS",
                   help="the simulator's clock runs this many seconds ahead of DESKPLAN_NOW or the host's clock; "
                        "negative: behind (default: %(default)s)")
    p.add_argument("--ratings-start-time", choices=RATINGS_START_TIMES, default=None,
                   help="Zendesk: the time the satisfaction-ratings list's start_time filters on, the rating's "
                        "creation (the survey's offer) or its last change; Zendesk documents only \"time of the "
                        f"oldest satisfaction rating\". Default: {ZENDESK['ratings_start_time']}, the reading "
                        "under which a client resuming from the newest answer it saw loses surveys answered late")
    p.add_argument("--account-rate-limit", type=int, default=None, metavar="N",
                   help="Zendesk: requests per window (a minute) for the account, every endpoint, refused past "
                        "it with Zendesk's plain-text 429 and Retry-After; ticket updates also 100 per window "
                        "(300 from 2,500). Default: "
                        f"{ZENDESK['account_rate_limit']}, an Enterprise plan's (Team 200, Growth and "
                        "Professional 400, Enterprise Plus or High Volume 2,500); 0 = unlimited")
    p.add_argument("--burst-limit", type=int, default=None, metavar="N",
                   help="Jira: a bucket of N requests per endpoint and method, refilled at N/10 a second "
                        "(429 jira-burst-based), and per issue 20 writes in 2 s and 100 in 30 s (429 "
                        f"jira-per-issue-on-write). Default: {JIRA['burst_limit']}, Atlassian's documented "
                        "example (the real size is not published); 0 = neither")
    p.add_argument("--search-lag", type=float, default=None, metavar="SECONDS",
                   help="Jira: an issue changed less than SECONDS ago may be missing from search results, each "
                        "change surfacing after a delay of its own up to SECONDS, so out of order (Atlassian "
                        f"documents search as eventually consistent). Default: {JIRA['search_lag']:g}, no lag")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    counts = (args.rate_limit, args.account_rate_limit, args.burst_limit)
    if not 0 <= args.port <= 65535 or args.tickets < 0 or not 0 <= args.faults <= 1 \
            or any((n or 0) < 0 for n in counts) or args.rate_window <= 0 or not 0 <= (args.search_lag or 0) <= 86400:
        parser().error("--port 0..65535, --tickets >= 0, --faults 0..1, --rate-limit, --account-rate-limit and "
                       "--burst-limit >= 0, --rate-window > 0, --search-lag 0..86400")
    given = {name: getattr(args, name) for name in ("rate_limit", "account_rate_limit", "burst_limit",
                                                     "ratings_start_time", "search_lag")}
    try:
        run(args.kind, port=args.port, email=args.email, token=args.token, fixtures=args.fixtures,
            tickets=args.tickets, seed=args.seed, faults=args.faults, rate_window=args.rate_window,
            clock_offset=args.clock_offset, **given)
    except ConfigError as exc:
        print(f"deskplan_sandbox: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
