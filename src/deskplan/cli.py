"""The `deskplan` command line: a thin click layer over the library.

Commands parse options, call one library function, and turn typed errors into clean
messages and the exit codes of SPEC §3. Data goes to stdout, logs to stderr.
"""

from __future__ import annotations

import logging
import sys

import click

from .errors import DeskplanError, ExitStatus, InvalidFiles

EXIT_CODES_HELP = """
Exit codes: 0 success; 1 finished, but some tickets or writes failed (listed);
2 invalid usage, config, plan or rules (nothing written); 3 another sync holds the
lock; 4 the helpdesk could not be reached or refused the credentials (nothing written).
"""


class DeskplanGroup(click.Group):
    """Runs a command and maps deskplan's typed errors to exit codes."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InvalidFiles as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            ctx.exit(ExitStatus.INVALID)
        except DeskplanError as exc:
            click.echo(f"deskplan: {exc}", err=True)
            ctx.exit(exc.exit_status)


@click.group(cls=DeskplanGroup, epilog=EXIT_CODES_HELP)
@click.version_option(package_name="deskplan")
@click.option("-v", "--verbose", count=True, help="More log lines on stderr (-vv for debug).")
def cli(verbose: int) -> None:
    """deskplan: run a service improvement plan inside Jira Service Management and Zendesk."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


def main() -> None:
    cli(prog_name="deskplan")


if __name__ == "__main__":
    main()
