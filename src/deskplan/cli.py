"""The `deskplan` command line: a thin click layer over the library.

Commands parse options, call one library function, and turn typed errors into clean
messages and the exit codes (README, "Exit codes"). Data goes to stdout, logs to stderr.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deskplan.app.terminal import printable, printable_line
from deskplan.errors import DeskplanError, ExitStatus, InvalidFiles

if TYPE_CHECKING:
    from deskplan.effects import PlannedWrite

EXIT_CODES_HELP = """
Exit codes: 0 success; 1 finished, but some tickets or writes failed (listed);
2 invalid usage, config, plan or rules (nothing written); 3 another sync holds the
lock; 4 the helpdesk could not be reached or refused the credentials (nothing written).
"""


class DeskplanGroup(click.Group):
    """Runs a command and maps deskplan's typed errors to exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidFiles as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            ctx.exit(ExitStatus.INVALID)
        except DeskplanError as exc:
            click.echo(printable(f"deskplan: {exc}"), err=True)
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
@click.option("--pull-only", is_flag=True,
              help="Pull and store, evaluate and write nothing: a later --dry-run pulls only what changed.")
@click.option("--json", "as_json", is_flag=True,
              help="JSON lines on stdout: each planned write (with --dry-run), then one summary per source.")
@click.option("--metrics-file", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="After the run (a failed one too), write its figures per source to PATH in the Prometheus "
                   "text format, atomically (node_exporter's textfile collector reads *.prom). Not with --dry-run.")
@click.pass_context
def sync(ctx: click.Context, workspace: Path, dry_run: bool, source: str | None, full: bool, pull_only: bool,
         as_json: bool, metrics_file: Path | None) -> None:
    """Pull tickets incrementally, evaluate them against the plan and write back.

    Writes are internal status comments and improvement tasks, each applied exactly once.
    With --dry-run every planned write is printed and nothing changes, neither in the
    helpdesk nor in the state file. With --pull-only tickets are pulled and stored and
    nothing is evaluated or written: try a plan on months of history with one full pull,
    then --dry-run (which pulls only what changed since), then sync. Meant for cron; a
    second sync while one runs exits 3 at once; writes that failed are listed and the exit
    code is 1; with several sources, 4 only when none could be reached.

    Example: deskplan sync --dry-run --json
    """
    from deskplan.app.sync import SyncResult, run_sync, summary_dicts, summary_lines
    from deskplan.config import CONFIG_NAME, load_config

    if pull_only and dry_run:
        raise click.UsageError("--pull-only and --dry-run exclude each other: pull first, then dry-run")
    if metrics_file is not None and dry_run:
        raise click.UsageError("--metrics-file is not written by a dry-run, which changes nothing")
    if metrics_file is not None and not metrics_file.parent.is_dir():
        raise click.UsageError(f"--metrics-file {metrics_file}: the folder {metrics_file.parent} does not exist")
    config = load_config(workspace / CONFIG_NAME)
    progress = _Progress.on_terminal(quiet=as_json)
    on_write = (_print_write_json if as_json else _print_write) if dry_run else None

    def run() -> SyncResult:
        return run_sync(config, source=source, full=full, dry_run=dry_run, progress=progress, on_write=on_write,
                        pull_only=pull_only)

    try:
        if metrics_file is None:
            result = run()
        else:
            from deskplan.app.metrics import run_with_metrics

            names = [s.name for s in config.sources if source in (None, s.name)]
            result = run_with_metrics(metrics_file, names, run)
    finally:
        if progress:
            progress.close()
    if result.plan_note:
        click.echo(printable(f"warning: {result.plan_note}"), err=True)
    if as_json:
        for summary in summary_dicts(result):
            click.echo(json_line(summary))
    else:
        for line in summary_lines(result):
            click.echo(printable(line))     # errors name tickets and quote their reasons
    ctx.exit(result.exit_code)


def json_line(obj: object) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)


def _print_write(write: PlannedWrite) -> None:
    """A planned write, readable: what, where, key, then the text an agent will see. Ticket data
    in it (a subject in a title, a comment quoted in a body) cannot steer the terminal: control
    characters are shown as escapes."""
    where = write.ticket_ref if write.ticket_key else write.source
    extras = "".join(f"  {name} {value}" for name, value in (
        ("due", write.due and write.due.isoformat()), ("owner", write.owner),
        ("links", ", ".join(write.links)), ("route", ", ".join(f"{k} {v}" for k, v in write.route))) if value)
    click.echo(printable(f"{write.kind.value} {where}  key {write.key[:16]}  {write.origin}{extras}"))
    click.echo(f"  {printable(write.title)}")
    lines = write.body.replace("\r\n", "\n").split("\n")
    for line in lines[:-1] if lines[-1] == "" else lines:
        click.echo(f"  | {printable_line(line)}")


def _print_write_json(write: PlannedWrite) -> None:
    click.echo(json_line(write.preview()))


class _Progress:
    """A one-line counter on a terminal; nothing under cron or with --json."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}

    @classmethod
    def on_terminal(cls, *, quiet: bool) -> _Progress | None:
        return None if quiet or not sys.stderr.isatty() else cls()

    def __call__(self, source: str, what: str, count: int) -> None:
        self.counts[(source, what)] = count
        shown = ", ".join(f"{n} {w}" for (s, w), n in self.counts.items() if s == source)
        click.echo(f"\r\033[K{source}: {shown}", nl=False, err=True)

    def close(self) -> None:
        if self.counts:
            click.echo("\r\033[K", nl=False, err=True)


@cli.command()
@workspace_option
@click.option("--online", is_flag=True,
              help="Then ask each helpdesk, reading only: credentials, projects, service desk, task project and "
                   "issue type, task group, statuses, owners (needs the tokens).")
@click.pass_context
def check(ctx: click.Context, workspace: Path, online: bool) -> None:
    """Validate deskplan.toml, plan.yaml and rules/ (tests included).

    Prints every problem as FILE:LINE:COL: message on stderr and exits 2, or a summary
    and exits 0. Nothing is written. Suits pre-commit hooks and CI. Warnings (FILE:LINE:COL:
    warning: ..., on stderr; exit 0): the plan has ended or not started (honours DESKPLAN_NOW),
    a goal's deadline lies outside the plan.

    With --online each source's settings are then checked against its helpdesk with read
    requests only: a setting the helpdesk does not match is exit 2 at its FILE:LINE:COL, a
    helpdesk that cannot be reached or refuses the credentials exit 4.

    Example: deskplan check --online --workspace ./sip
    """
    from deskplan.app.check import check_workspace
    from deskplan.app.plandates import warning_line
    from deskplan.errors import Problem

    def warn(problem: Problem) -> None:
        click.echo(printable(warning_line(problem)), err=True)

    if not online:
        click.echo(check_workspace(workspace, warn=warn))
        return
    from deskplan.app.online import check_online

    result = check_online(workspace, warn=warn)
    click.echo(result.summary)
    for line in result.lines:
        click.echo(printable(f"online: {line}"))
    for problem in result.problems:
        click.echo(printable(str(problem)), err=True)
    for line in result.unreached:
        click.echo(printable(f"deskplan: {line}"), err=True)
    ctx.exit(result.exit_code)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of plan.yaml, rules/*.yaml and rules/tests/*.yaml.

    Editors use it through the `# yaml-language-server: $schema=...` line at the top of
    each file to validate and complete while you type.

    Example: deskplan schema > deskplan.schema.json
    """
    import json

    from deskplan.rules.schema import build_schema

    click.echo(json.dumps(build_schema(), indent=2, ensure_ascii=False))


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", "language", type=click.Choice(["en", "zh-CN"]), default="en", show_default=True,
              help="The example's language: zh-CN writes its titles, descriptions and comments in Chinese "
              "and sets plan.yaml `language: zh-CN`.")
def init(directory: Path, language: str) -> None:
    """Write a commented example workspace into DIRECTORY (never over existing files).

    The example plan began on the first day of last month and runs six months (today
    honours DESKPLAN_NOW).

    Example: deskplan init ./sip && deskplan check --workspace ./sip
    """
    from deskplan.clock import now
    from deskplan.workspace.init import init_workspace

    for path in init_workspace(directory, now().date(), language):
        click.echo(f"wrote {path}")


@cli.group()
def rules() -> None:
    """Rule files: run their unit tests."""


@rules.command("test")
@workspace_option
@click.pass_context
def rules_test(ctx: click.Context, workspace: Path) -> None:
    """Run the rule unit tests in rules/tests/*.yaml; exit 1 if any fails.

    Example: deskplan rules test --workspace ./sip
    """
    from deskplan.rules.ruletests import run_rule_tests

    run = run_rule_tests(workspace)
    click.echo(run.text())
    ctx.exit(ExitStatus.PARTIAL if run.failed else ExitStatus.OK)


@cli.command()
@click.argument("ref", metavar="SOURCE:TICKET")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout instead of text.")
@click.option("--verbose", "every_interval", is_flag=True,
              help="Every working interval of the SLA clocks, one a line (default: a line per range of days).")
def explain(ref: str, workspace: Path, as_json: bool, every_interval: bool) -> None:
    """Show which rules fired for a stored ticket and why (and why the others did not), its
    SLA clocks with the calendar arithmetic behind them, and the writes a sync would make
    or has made. Honours DESKPLAN_NOW.

    Example: deskplan explain zendesk:1234
    """
    from deskplan.app.explain import explain_stored
    from deskplan.clock import now

    explanation = explain_stored(workspace, ref, now())
    click.echo(json_line(explanation.to_dict()) if as_json else explanation.to_text(verbose=every_interval))


@cli.command()
@click.option("--kind", type=click.Choice(["zendesk", "jira"]), required=True, help="Which helpdesk API to simulate.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port.")
@click.option("--email", default="admin@sandbox.example.com", show_default=True, help="The account's login email.")
@click.option("--token", default="sandbox-token", show_default=True, help="The account's API token.")
@click.option("--fixtures", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Serve these objects (in the helpdesk's own JSON shapes) instead of generated ones.")
@click.option("--tickets", type=click.IntRange(min=0), default=200, show_default=True,
              help="Generated tickets when no --fixtures.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the generator and of --faults.")
@click.option("--faults", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of requests that fail: 429, 5xx, dropped connections, cut-off bodies.")
@click.option("--rate-limit", type=click.IntRange(min=0),
              help="Zendesk: incremental export requests per window (default: 10, Zendesk's). Jira: requests "
                   "per window per account (default: 0, none: API tokens meet the burst limits). 0 = unlimited.")
@click.option("--rate-window", type=click.FloatRange(min=0.001), default=60.0, show_default=True,
              help="Length of a rate-limit window in seconds (scale time down for benchmarks).")
@click.option("--clock-offset", type=float, default=0.0, show_default=True, metavar="SECONDS",
              help="The simulator's clock runs this many seconds ahead of DESKPLAN_NOW or the host's clock "
                   "(negative: behind), as a helpdesk's clock may.")
@click.option("--ratings-start-time", type=click.Choice(["created", "updated"]),
              help="Zendesk: the time the satisfaction-ratings list's start_time filters on, the rating's creation "
                   "(the survey's offer) or its last change; Zendesk documents only \"time of the oldest "
                   "satisfaction rating\". Default: created, the reading under which a client resuming from the "
                   "newest answer it saw loses surveys answered late.")
@click.option("--search-lag", type=click.FloatRange(0, 86400), metavar="SECONDS",
              help="Jira: an issue changed less than SECONDS ago may be missing from search results, each change "
                   "surfacing after a delay of its own up to SECONDS, so out of order. Default: 0, no lag.")
@click.option("--account-rate-limit", type=click.IntRange(min=0), metavar="N",
              help="Zendesk: requests per window (a minute) for the account, every endpoint, refused past it with "
                   "Zendesk's plain-text 429 and Retry-After; ticket updates also 100 per window (300 from 2,500). "
                   "Default: 700, an Enterprise plan's (Team 200, Growth and Professional 400, Enterprise Plus or "
                   "High Volume 2,500); 0 = unlimited.")
@click.option("--burst-limit", type=click.IntRange(min=0), metavar="N",
              help="Jira: a bucket of N requests per endpoint and method, refilled at N/10 a second, and per issue "
                   "20 writes in 2 s and 100 in 30 s. Default: 100, Atlassian's documented example (the real size "
                   "is not published); 0 = neither.")
def sandbox(kind: str, port: int, email: str, token: str, fixtures: Path | None, tickets: int, seed: int,
            faults: float, rate_limit: int | None, rate_window: float, clock_offset: float,
            ratings_start_time: str | None, search_lag: float | None, account_rate_limit: int | None,
            burst_limit: int | None) -> None:
    """Serve a local simulator of a helpdesk's API on 127.0.0.1 until stopped (Ctrl-C).

    The first line of output is the URL, the credentials and what the data is filed under (Jira's
    project keys, Zendesk's groups); one line per request goes to stderr. Every limit defaults to
    the real service's.

    The simulators are a separate distribution: pip install ./sandbox (from a deskplan checkout).

    Example: deskplan sandbox --kind zendesk --tickets 5000 --seed 7
    """
    from deskplan.app.sandbox import serve

    # (an option another kind of simulator has, or None for this kind's default: the simulators check)
    serve(kind, port=port, email=email, token=token, fixtures=fixtures, tickets=tickets, seed=seed,
          faults=faults, rate_limit=rate_limit, rate_window=rate_window, clock_offset=clock_offset,
          ratings_start_time=ratings_start_time, search_lag=search_lag, account_rate_limit=account_rate_limit,
          burst_limit=burst_limit)



@cli.command()
@workspace_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True,
              help="text for a terminal, json for tools, html for one self-contained page with charts.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
def report(workspace: Path, fmt: str, out: Path | None) -> None:
    """Goals against their targets per window, with trend and status, feedback categories,
    measures and a breakdown by group, from the tickets `deskplan sync` stored.

    Honours DESKPLAN_NOW (a report as of that instant).

    Example: deskplan report --format html --out report.html
    """
    from deskplan.app.report.command import render, report_from_workspace
    from deskplan.clock import now

    _show(render(report_from_workspace(workspace, now()), fmt), out)


@cli.command()
@workspace_option
@click.option("--cadence", "cadence_id", metavar="ID",
              help="The cadence entry of plan.yaml to review (default: the first).")
@click.option("--period", "period_label", metavar="LABEL",
              help="The closed period to review: 2026-W46, 2026-10 or 2026-Q4 (default: the latest closed one).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html", "md"]), default="text",
              show_default=True, help="text for a terminal, json for tools, html for one self-contained page, "
              "md for Markdown.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
def review(workspace: Path, cadence_id: str | None, period_label: str | None, fmt: str, out: Path | None) -> None:
    """One period's review on the plan's cadence: each goal over the period against its
    target and the period before, teams lagging first, feedback categories, milestones,
    tasks, and the tasks written for missed goals, from the tickets `deskplan sync` stored.

    An unknown cadence id, or a period that is malformed, of another kind, outside the plan
    or not closed yet, exits 2 and lists what there is. Honours DESKPLAN_NOW.

    Example: deskplan review --cadence monthly-review --period 2026-03 --format md
    """
    from deskplan.app.review.command import render, review_from_workspace
    from deskplan.clock import now

    _show(render(review_from_workspace(workspace, now(), cadence_id=cadence_id, period_label=period_label), fmt), out)


def _show(text: str, out: Path | None) -> None:
    """A rendered page on stdout, or written whole to `out` (saying so on stderr)."""
    from deskplan.app.report.command import write_output

    if out is None:
        click.echo(text, nl=False)
    else:
        write_output(text, out)
        click.echo(f"wrote {out}", err=True)


@cli.command()
@workspace_option
@click.option("--months", type=click.IntRange(min=1, max=120), default=3, show_default=True,
              help="Measure over this many months before the plan's start (or --before).")
@click.option("--before", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="DATE",
              help="Measure over the months before this day instead of the plan's start.")
@click.option("--write", is_flag=True, help="Set each measured baseline in plan.yaml (comments and layout kept).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout instead of text.")
@click.pass_context
def baseline(ctx: click.Context, workspace: Path, months: int, before: Any, write: bool, as_json: bool) -> None:
    """Measure each goal's KPI over the months before the plan, from the tickets `deskplan sync`
    stored, with the goal's own definition, beside the plan's `baseline`.

    With --write the measured values become the goals' baselines in plan.yaml; every other
    byte of the file stays. A goal with no tickets in the span is not written, nor one whose
    value already meets its target (exit 1, listed). Honours DESKPLAN_NOW.

    Example: deskplan baseline --months 3 --write
    """
    from deskplan.app.baseline import baselines_from_workspace, exit_status, render_text, to_dict
    from deskplan.clock import now

    measured = baselines_from_workspace(workspace, now(), before=before.date() if before else None, months=months,
                                        write=write)
    click.echo(json_line(to_dict(measured, write=write)) if as_json else render_text(measured, write=write),
               nl=as_json)
    ctx.exit(exit_status(measured, write=write))


@cli.command()
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path),
              help="Write the demo workspace into this (new or empty) folder instead of a temporary one.")
@click.option("--tickets", type=click.IntRange(min=10), default=3000, show_default=True,
              help="Generated tickets in all, three fifths in Zendesk and the rest in Jira Service Management.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed of the ticket generator.")
@click.option("--lang", "language", type=click.Choice(["en", "zh-CN"]), default="en", show_default=True,
              help="The example workspace's language (as `init --lang`): zh-CN writes the status comments, "
              "tasks, reviews and the report in Chinese.")
def demo(workspace: Path | None, tickets: int, seed: int, language: str) -> None:
    """Run the whole loop on this machine: start a Zendesk and a JSM simulator with six months
    of generated tickets, write an example workspace pointed at them, sync with write-back,
    push the plan, let a service team solve some tasks in the helpdesks, sync again to read
    them back, print the report and write the HTML report. Nothing leaves 127.0.0.1.

    Honours DESKPLAN_NOW (the second sync's time and the report's; the generated tickets end
    and the first sync runs an hour before).

    Example: deskplan demo --workspace ./demo && deskplan report --workspace ./demo
    """
    from deskplan.app.demo import print_demo, run_demo, split_tickets

    result = run_demo(workspace, tickets=split_tickets(tickets), seed=seed,
                      say=lambda line: click.echo(line, err=True), language=language)
    print_demo(result, sys.stdout)


@cli.group()
def plan() -> None:
    """The plan itself in the helpdesk."""


@plan.command("push")
@workspace_option
@click.option("--source", help="Only this source (its name in deskplan.toml).")
@click.option("--dry-run", "-n", is_flag=True, help="Print every task and comment it would write; change nothing.")
@click.option("--json", "as_json", is_flag=True,
              help="JSON lines on stdout: each planned write (with --dry-run), then one summary per source.")
@click.pass_context
def plan_push(ctx: click.Context, workspace: Path, source: str | None, dry_run: bool, as_json: bool) -> None:
    """Create each measure and milestone of plan.yaml as a task in the helpdesk, and add this
    week's plan status comment to each measure's task. Idempotent: pushing again writes nothing
    new (a new status comment once a week). With --dry-run every task and comment it would
    write is printed and nothing changes (no credentials needed). Honours DESKPLAN_NOW.

    A measure or milestone that ended before the source's go-live cut-off ([writeback] since,
    else the first sync that wrote back) is not pushed as open work; each is listed, with why.

    Example: deskplan plan push --dry-run --source jsm
    """
    from deskplan.app.planpush import Skipped, push_line, push_plan
    from deskplan.app.summary import run_exit_code
    from deskplan.config import CONFIG_NAME, load_config

    on_write = (_print_write_json if as_json else _print_write) if dry_run else None
    skipped: list[Skipped] = []

    def on_skip(item: Skipped) -> None:
        if as_json:
            click.echo(json_line(item.as_dict()))
        else:
            skipped.append(item)

    summaries = push_plan(load_config(workspace / CONFIG_NAME), source=source, dry_run=dry_run, on_write=on_write,
                          on_skip=on_skip)
    for summary in summaries:
        if as_json:
            click.echo(json_line(summary.as_dict()))
            continue
        click.echo(push_line(summary, dry_run=dry_run))
        for item in skipped:
            if item.source == summary.source:
                click.echo(f"  {item.text()}")
        for error in summary.errors:
            click.echo(printable(f"  error: {error}"), err=True)
    ctx.exit(run_exit_code(summaries))


def main() -> None:
    cli(prog_name="deskplan")


if __name__ == "__main__":
    main()
