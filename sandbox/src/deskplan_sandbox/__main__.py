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
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_WINDOW,
    DEFAULT_TICKETS,
    DEFAULT_TOKEN,
    KINDS,
    run,
)


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
    p.add_argument("--rate-limit", type=int, default=DEFAULT_RATE_LIMIT,
                   help="incremental export requests per window; 0 = unlimited (default: %(default)s)")
    p.add_argument("--rate-window", type=float, default=DEFAULT_RATE_WINDOW,
                   help="length of a rate-limit window in seconds (default: %(default)s)")
    p.add_argument("--clock-offset", type=float, default=DEFAULT_CLOCK_OFFSET, metavar="SECONDS",
                   help="the simulator's clock runs this many seconds ahead of DESKPLAN_NOW or the host's clock; "
                        "negative: behind (default: %(default)s)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not 0 <= args.port <= 65535 or args.tickets < 0 or not 0 <= args.faults <= 1 or args.rate_limit < 0 \
            or args.rate_window <= 0:
        parser().error("--port 0..65535, --tickets >= 0, --faults 0..1, --rate-limit >= 0, --rate-window > 0")
    try:
        run(args.kind, port=args.port, email=args.email, token=args.token, fixtures=args.fixtures,
            tickets=args.tickets, seed=args.seed, faults=args.faults, rate_limit=args.rate_limit,
            rate_window=args.rate_window, clock_offset=args.clock_offset)
    except ConfigError as exc:
        print(f"deskplan_sandbox: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
