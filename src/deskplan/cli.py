"""The `deskplan` command line: a thin click layer over the library.

Commands parse options, call one library function, and turn typed errors into clean
messages and the exit codes of SPEC §3. Data goes to stdout, logs to stderr.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

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


workspace_option = click.option(
    "--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    envvar="DESKPLAN_WORKSPACE", show_default=True,
    help="Folder holding deskplan.toml, plan.yaml and rules/ (env DESKPLAN_WORKSPACE).",
)


@cli.command()
@workspace_option
@click.option("--dry-run", "-n", is_flag=True, help="Print every planned write; change nothing anywhere.")
@click.option("--source", help="Only this source (its name in deskplan.toml).")
@click.option("--full", is_flag=True, help="Ignore stored cursors and pull everything again.")
@click.option("--json", "as_json", is_flag=True, help="One JSON summary object per source on stdout.")
@click.pass_context
def sync(ctx: click.Context, workspace: Path, dry_run: bool, source: str | None, full: bool, as_json: bool) -> None:
    """Pull tickets incrementally, evaluate them against the plan and write back.

    Meant for cron; a second sync while one runs exits 3 at once.

    Example: deskplan sync --json
    """
    from .config import CONFIG_NAME, load_config
    from .connector.sync import run_sync, summary_dicts, summary_lines

    config = load_config(workspace / CONFIG_NAME)
    result = run_sync(config, source=source, full=full, dry_run=dry_run, progress=_progress_reporter(as_json))
    if as_json:
        for summary in summary_dicts(result):
            click.echo(json_line(summary))
    else:
        for line in summary_lines(result):
            click.echo(line)
    ctx.exit(result.exit_code)


def json_line(obj: object) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)


def _progress_reporter(quiet: bool):
    """A one-line counter on a terminal; nothing under cron or with --json."""
    if quiet or not sys.stderr.isatty():
        return None

    def report(source: str, pulled: int) -> None:
        click.echo(f"\r{source}: {pulled} tickets pulled", nl=False, err=True)

    return report


def main() -> None:
    cli(prog_name="deskplan")


if __name__ == "__main__":
    main()
