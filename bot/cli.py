"""``carnet`` — serve | worker | console | demo | db upgrade | export | report | team | jobs | manifest |
workspace erase."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
from datetime import date, datetime, timezone
from typing import Any, Sequence, TextIO

from bot import redaction
from bot.settings import Settings, SettingsError

logger = logging.getLogger("carnet")


class CliError(Exception):
    """A user mistake on the command line: printed as one line, exit status 2."""


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def _parse_instant(value: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO-8601 instant (e.g. 2026-11-23T08:30:00+01:00)") from exc
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} needs a UTC offset (e.g. 2026-11-23T07:30:00Z)")
    return instant.astimezone(timezone.utc)


def _parse_period(value: str):  # -> bot.services.periods.PeriodChoice
    from bot.services.period_words import parse_period

    choice = parse_period(value)
    if choice is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a period (current, previous, YYYY-MM or YYYY-Qn)")
    return choice


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from exc
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: at least 1")
    return number


def build_parser() -> argparse.ArgumentParser:
    """Every ``carnet`` command and its options, one group of commands at a time."""
    parser = argparse.ArgumentParser(prog="carnet", description="Carnet: a Slack assistant for field sales teams.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _running_commands(sub)
    _data_commands(sub)
    _report_commands(sub)
    _operations_commands(sub)
    _workspace_commands(sub)
    _privacy_commands(sub)
    _accounts_commands(sub)
    return parser


def _running_commands(sub: Any) -> None:
    """serve, worker, console, demo."""
    serve = sub.add_parser("serve", help="run the bot (Socket Mode if SLACK_APP_TOKEN is set, else HTTP)")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--no-worker", action="store_true",
                       help="answer Slack only; run the scheduler and the outbox delivery with `carnet worker`")
    serve.add_argument("--workers", type=_positive, default=1,
                       help="HTTP mode: uvicorn processes answering Slack (the embedded worker stays one)")
    serve.add_argument("--threads", type=_positive, default=None,
                       help="requests worked on at once per process (default 10)")

    worker = sub.add_parser("worker", help="run the scheduler and the outbox delivery (until SIGTERM / Ctrl-C)")
    worker.add_argument("--now", type=_parse_instant, default=None,
                        help="a fixed ISO-8601 instant for every tick (replaying a day; default: the real clock)")

    console = sub.add_parser("console", help="chat with Carnet in the terminal, no Slack needed")
    console.add_argument("--team", default=None, help="workspace id (default: the local demo workspace)")
    console.add_argument("--user", default=None, help="Slack user id to act as (default: the first demo rep)")
    console.add_argument("--lang", choices=["fr", "en"], default=None, help="language of a new member")
    console.add_argument("--tz", default=None, help="time zone of a new member")
    console.add_argument("--script", action="store_true", help="read commands from stdin without prompts")

    demo = sub.add_parser("demo", help="fill the database with a realistic demo team")
    demo.add_argument("--size", choices=["small", "medium", "large"], default="small")
    demo.add_argument("--reset", action="store_true", help="replace an existing demo workspace")


def _data_commands(sub: Any) -> None:
    """db, export, team."""
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply the migrations (Alembic)")

    export = sub.add_parser("export", help="write the activity report, the carnet commercial or the KPIs as a table")
    export.add_argument("what", choices=["actions", "opportunities", "kpis", "accounts", "all"],
                        help="all: the workspace's whole data, a zip of one CSV per table (--output, default carnet-all-TEAM-DAY.zip)")
    export.add_argument("--since", type=_parse_day)
    export.add_argument("--until", type=_parse_day)
    export.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    export.add_argument("--output", "-o", default=None,
                        help="file to write (CSV: default the standard output; xlsx: default carnet-WHAT-DAY.xlsx here)")
    export.add_argument("--period", type=_parse_period, default=None, help="kpis: as for `carnet report kpis`")
    export.add_argument("--now", type=_parse_instant, default=None, help="kpis: the instant the periods are seen from")
    export.add_argument("--team", default=None, help="workspace id (needed when the database has several)")
    export.add_argument("--lang", choices=["fr", "en"], default=None, help="language of the labels")

    team = sub.add_parser("team", help="team set-up")
    team_sub = team.add_subparsers(dest="team_command", required=True, metavar="ACTION")
    team_import = team_sub.add_parser("import", help="import members from a CSV file (all rows or none)")
    team_import.add_argument("file", help="CSV with columns slack_user_id, role, manager, locale, timezone, period [, name]")
    team_import.add_argument("--team", default=None, help="workspace id (default: the only one, or the local one)")


def _privacy_commands(sub: Any) -> None:
    """contact erase (data protection; `export all` is an export)."""
    contact = sub.add_parser("contact", help="data protection of contacts")
    contact_sub = contact.add_subparsers(dest="contact_command", required=True, metavar="ACTION")
    erase = contact_sub.add_parser("erase", help="remove a contact's personal data from every table (statistics kept)")
    erase.add_argument("name", help="the contact's name as written in Carnet (case and accents ignored)")
    erase.add_argument("--team", default=None, help="workspace id (needed when the database has several)")
    erase.add_argument("--lang", choices=["fr", "en"], default=None, help="language of the [erased] mark and the summary")


def _report_commands(sub: Any) -> None:
    """report kpis, report review."""
    report = sub.add_parser("report", help="managers' reports in the terminal")
    report_sub = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    kpis = report_sub.add_parser("kpis", help="one row of KPIs per rep over their period")
    kpis.add_argument("--team", default=None, help="workspace id (needed when the database has several)")
    kpis.add_argument("--period", type=_parse_period, default=None,
                      help="current (each rep's own period, the default), previous, YYYY-MM or YYYY-Qn")
    kpis.add_argument("--format", choices=["table", "csv", "xlsx"], default="table")
    kpis.add_argument("--output", "-o", default=None, help="file to write (xlsx: default carnet-kpis-DAY.xlsx here)")
    kpis.add_argument("--now", type=_parse_instant, default=None, help="ISO-8601 instant the periods are seen from (default: now)")
    review = report_sub.add_parser("review", help="the review pack of a manager's reps (at risk first), or one rep's review")
    review.add_argument("who", help="a manager (their pack) or a rep: @name, name or Slack user id")
    review.add_argument("--team", default=None, help="workspace id (needed when the database has several)")
    review.add_argument("--now", type=_parse_instant, default=None, help="ISO-8601 instant the periods are seen from (default: now)")
    review.add_argument("--lang", choices=["fr", "en"], default=None, help="language (default: the reader's)")
    review.add_argument("--charts", default=None, metavar="DIR", help="also write the pack's charts (PNG) into DIR")


def _accounts_commands(sub: Any) -> None:
    """accounts import, accounts merge (bot/cli_accounts.py)."""
    from bot.cli_accounts import add_commands

    add_commands(sub)


def _operations_commands(sub: Any) -> None:
    """jobs, manifest."""
    jobs = sub.add_parser("jobs", help="scheduled work")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    run_due = jobs_sub.add_parser("run-due", help="run every job due at that instant, then deliver, as the scheduler would")
    run_due.add_argument("--now", type=_parse_instant, default=None, help="ISO-8601 instant (default: now)")
    jobs_sub.add_parser("status", help="the outbox: rows by status, and the failed ones with their error")
    retry = jobs_sub.add_parser("retry", help="put failed outbox rows back to be sent again")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int, action="append", dest="ids", metavar="N", help="a failed row's id (repeatable)")
    which.add_argument("--all-failed", action="store_true", help="every failed row")

    manifest = sub.add_parser("manifest", help="print the Slack app manifest (JSON)")
    manifest.add_argument("--url", default=None, help="public base URL of `carnet serve` (HTTP mode)")
    manifest.add_argument("--socket-mode", action="store_true", help="manifest for Socket Mode (no public URL)")
    manifest.add_argument("--name", default="Carnet")


def _workspace_commands(sub: Any) -> None:
    """workspace erase."""
    workspace = sub.add_parser("workspace", help="a Slack workspace's data")
    workspace_sub = workspace.add_subparsers(dest="workspace_command", required=True, metavar="ACTION")
    erase = workspace_sub.add_parser("erase", help="delete every row of a workspace, now (cannot be undone)")
    erase.add_argument("team", help="the workspace's Slack team id (T…)")
    erase.add_argument("--yes", action="store_true", help="do not ask to type the team id again")


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """Entry point of the ``carnet`` script; returns the exit status."""
    args = build_parser().parse_args(argv)
    out = stdout or sys.stdout
    logging.basicConfig(level=logging.INFO if args.command in ("serve", "worker") else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        redaction.install(settings.secrets())
        handler = {
            "serve": _serve,
            "worker": _worker,
            "console": _console,
            "demo": _demo,
            "db": _db,
            "export": _export,
            "report": _report,
            "jobs": _jobs,
            "team": _team,
            "manifest": _manifest,
            "workspace": _workspace,
            "contact": _contact,
            "accounts": _accounts,
        }[args.command]
        return handler(args, settings, out, stdin or sys.stdin)
    except (SettingsError, CliError) as exc:
        print(f"carnet: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. `carnet export actions | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _runtime(settings: Settings, **kwargs: object):
    from bot.runtime import build_runtime

    return build_runtime(settings, **kwargs)  # type: ignore[arg-type]


def _serve(args: argparse.Namespace, settings: Settings, out: TextIO, _stdin: TextIO) -> int:
    if not settings.slack_bot_token and not settings.oauth:
        raise CliError("SLACK_BOT_TOKEN is not set (see README: connecting a Slack workspace)")
    if not settings.slack_app_token and not settings.slack_signing_secret:
        raise CliError("SLACK_SIGNING_SECRET is not set (HTTP mode needs it to verify Slack's requests)")
    if args.workers > 1 and settings.slack_app_token:
        raise CliError("--workers is for HTTP mode; Socket Mode runs one process (Slack spreads the load over connections)")
    if settings.oauth and settings.slack_app_token:
        raise CliError("OAuth (SLACK_CLIENT_ID) needs HTTP mode: Slack sends the installer's browser to "
                       "/slack/oauth_redirect; unset SLACK_APP_TOKEN")
    _check_slack(settings)
    from bot.runtime import DEFAULT_THREADS, prepare_to_serve

    threads = args.threads or DEFAULT_THREADS
    embedded = not args.no_worker
    if args.workers > 1:
        return _serve_processes(args, settings, threads, embedded)
    runtime = _runtime(settings, threads=threads)
    prepare_to_serve()  # dateparser's data loaded and the start-up heap frozen before the first /log
    worker_note = "with the embedded worker (scheduler, outbox delivery)" if embedded else "without a worker (--no-worker)"
    if settings.slack_app_token:
        from bot.handlers.socket_door import CheckedSocketModeHandler

        if not settings.slack_signing_secret:
            # Socket Mode requests are not signed; Bolt still wants a value.
            settings = Settings(**{**settings.__dict__, "slack_signing_secret": "socket-mode"})
            runtime.settings = settings
        scheduler = runtime.scheduler() if embedded else None
        if scheduler is not None:
            runtime.worker.start()
            scheduler.start()
        logger.info("Carnet serving through Socket Mode, %s", worker_note)
        try:
            CheckedSocketModeHandler(runtime.bolt_app(), settings.slack_app_token).start()
        finally:
            if scheduler is not None:
                scheduler.stop()
            runtime.close()
        return 0
    import uvicorn

    logger.info("Carnet serving HTTP on %s:%s (POST /slack/events, GET /healthz), %s", args.host, args.port, worker_note)
    try:
        uvicorn.run(runtime.web_app(with_scheduler=embedded, with_delivery=embedded), host=args.host, port=args.port,
                    log_level="info")
    finally:
        runtime.close()
    return 0


def _check_slack(settings: Settings) -> None:
    """The start-up checks (bot/slack_install.py): a wrong token is one clear line and exit 2."""
    from bot.app import make_web_client
    from bot.clock import SystemClock
    from bot.slack_install import StartupError, startup_checks
    from storage.db import make_engine, make_session_factory, upgrade

    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        warnings = startup_checks(settings, make_web_client(None, settings.slack_api_url),
                                  make_session_factory(engine), SystemClock())
    except StartupError as exc:
        raise CliError(str(exc)) from exc
    finally:
        engine.dispose()
    for warning in warnings:
        logger.warning("Carnet: %s", warning)


def _serve_processes(args: argparse.Namespace, settings: Settings, threads: int, embedded: bool) -> int:
    """``--workers N``: N uvicorn processes answer Slack; the embedded worker (if any) runs once, here."""
    import uvicorn

    os.environ["CARNET_SERVE_THREADS"] = str(threads)  # read by bot.runtime.serve_app in each process
    runtime = _runtime(settings, profiles=False, door="worker") if embedded else None
    scheduler = None
    if runtime is not None:
        scheduler = runtime.scheduler()
        runtime.worker.start()
        scheduler.start()
    logger.info("Carnet serving HTTP on %s:%s with %d processes, %s", args.host, args.port, args.workers,
                "the worker in the parent process" if embedded else "without a worker (--no-worker)")
    try:
        uvicorn.run("bot.runtime:serve_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                    log_level="info")
    finally:
        if scheduler is not None:
            scheduler.stop()
        if runtime is not None:
            runtime.close()
    return 0


def _worker(args: argparse.Namespace, settings: Settings, out: TextIO, _stdin: TextIO) -> int:
    """The scheduler's minute tick and the outbox delivery, until SIGTERM or SIGINT."""
    import signal
    import threading

    from bot.clock import FixedClock, SystemClock

    if not settings.slack_bot_token and not settings.oauth:
        raise CliError("SLACK_BOT_TOKEN is not set: the worker sends the outbox through Slack's Web API")
    clock = FixedClock(args.now) if args.now else SystemClock()
    # profiles: the hourly check reads members' Slack profiles again (bot/jobs/profiles.py).
    runtime = _runtime(settings, clock=clock, profiles=True, door="worker")
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        logger.info("Carnet worker: %s received, stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    scheduler = runtime.scheduler()
    try:
        runtime.worker.start()
        scheduler.start()
        logger.info("Carnet worker running: scheduler every minute%s, outbox delivery",
                    f" at the fixed instant {clock.now().isoformat()}" if args.now else "")
        while not stop.wait(0.5):
            pass
    finally:
        scheduler.stop()
        runtime.close()  # the delivery thread finishes its message and stops
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    logger.info("Carnet worker stopped")
    return 0


def _console(args: argparse.Namespace, settings: Settings, out: TextIO, stdin: TextIO) -> int:
    from bot.console import ConsoleDoor, stdin_lines
    from bot.demo import LOCAL_TEAM_ID
    from bot.services.members import Profile

    if args.tz:
        from bot.services.members import valid_tz

        if not valid_tz(args.tz):
            raise CliError(f"--tz {args.tz!r} is not a time zone name (e.g. Europe/Paris)")
    profile = Profile(display_name="console", tz=args.tz or settings.default_tz, locale=args.lang or settings.default_locale)
    runtime = _runtime(settings, profiles=lambda _user: profile, door="console")
    try:
        interactive = not args.script and stdin.isatty()
        door = ConsoleDoor(
            runtime.conversation,
            team_id=args.team or LOCAL_TEAM_ID,
            user_id=args.user or "UDEMO01",
            out=out,
            interactive=interactive,
        )
        door.run(stdin_lines(stdin))
    finally:
        runtime.close()
    return 0


def _demo(args: argparse.Namespace, settings: Settings, out: TextIO, _stdin: TextIO) -> int:
    from bot.demo import demo_summary, seed_demo

    runtime = _runtime(settings, profiles=False)
    try:
        with runtime.session_factory() as session, session.begin():
            workspace = seed_demo(session, now=runtime.clock.now(), size=args.size, reset=args.reset)
            summary = demo_summary(session, workspace)
    finally:
        runtime.close()
    out.write(
        f"Demo workspace {workspace.team_id}: {summary['members']} members, {summary['accounts']} accounts, "
        f"{summary['contacts']} contacts, {summary['actions']} actions, {summary['opportunities']} opportunities.\n"
        "Try it: carnet console   (then: /log visite Gamma Industries proposition hier)\n"
    )
    return 0


def _db(args: argparse.Namespace, settings: Settings, out: TextIO, _stdin: TextIO) -> int:
    from storage.db import current_revision, make_engine, upgrade

    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        out.write(f"Database at revision {current_revision(engine)}.\n")
    finally:
        engine.dispose()
    return 0


def _workspaces(session, team: str | None) -> list:  # -> list[storage.models.Workspace]
    """The workspace ``--team`` names, or the database's only one."""
    from storage.queries import workspaces

    known = workspaces(session)
    if team:
        chosen = [w for w in known if w.team_id == team]
        if not chosen:
            raise CliError(f"no workspace {team!r} in this database")
        return chosen
    if len(known) > 1:
        ids = ", ".join(w.team_id for w in known)
        raise CliError(f"this database holds several workspaces ({ids}): choose one with --team")
    return known


def _export(args: argparse.Namespace, settings: Settings, out: TextIO, _stdin: TextIO) -> int:
    from bot.reports.exports import Selection, actions_table, opportunities_table

    if args.since and args.until and args.since > args.until:
        raise CliError("--since is after --until")
    if args.what == "all":
        return _export_all(args, settings, out)
    if args.what == "kpis":
        if args.since or args.until:
            raise CliError("kpis cover a period: use --period, not --since/--until")
        return _kpis(args, settings, out, default_format=args.format)
    if args.period is not None or args.now is not None:
        raise CliError("--period and --now are for kpis; actions and opportunities take --since and --until")
    if args.what == "accounts":
        return _export_accounts(args, settings, out)
    locale = args.lang or settings.default_locale
    runtime = _runtime(settings, profiles=False)
    try:
        with runtime.session_factory() as session:
            ids = [w.id for w in _workspaces(session, args.team)]
            build = actions_table if args.what == "actions" else opportunities_table
            table = build(session, ids, locale, Selection(since=args.since, until=args.until))
            _write_table(table, args.format, args.output, out, name=args.what, today=runtime.clock.now().date())
    finally:
        runtime.close()
    return 0


def _export_all(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """``carnet export all``: the workspace's whole data as a zip of CSV files (see whole_export.py)."""
    from bot.messages import counted, translate
    from bot.reports.whole_export import export_all

    if args.since or args.until or args.period is not None or args.now is not None or args.format != "csv":
        raise CliError("export all takes the whole data: no --since, --until, --period, --now or --format")
    locale = args.lang or settings.default_locale
    runtime = _runtime(settings, profiles=False)
    try:
        with runtime.session_factory() as session:
            workspaces = _workspaces(session, args.team)
            if not workspaces:
                raise CliError("this database holds no workspace yet")
            workspace = workspaces[0]
            path = os.path.abspath(args.output or f"carnet-all-{workspace.team_id}-{runtime.clock.now().date().isoformat()}.zip")
            try:
                with open(path, "wb") as file:
                    counts = export_all(session, workspace, file)
            except OSError as exc:
                raise CliError(f"cannot write {path}: {exc.strerror}") from exc
            except BaseException:
                os.remove(path)  # half a zip is no export
                raise
    finally:
        runtime.close()
    out.write(translate(locale, "privacy.export_done", path=path, tables=counted(locale, len(counts), "tables"),
                        rows=counted(locale, sum(counts.values()), "rows")) + "\n")
    return 0


def _contact(args: argparse.Namespace, settings: Settings, out: TextIO, _stdin: TextIO) -> int:
    """``carnet contact erase NAME``: the contact's personal data out of every table, in one transaction."""
    from bot.messages import counted, translate
    from bot.services.data_protection import ErasureError, erase_contact

    locale = args.lang or settings.default_locale
    runtime = _runtime(settings, profiles=False)
    try:
        with runtime.session_factory() as session, session.begin():
            workspaces = _workspaces(session, args.team)
            if not workspaces:
                raise CliError("this database holds no workspace yet")
            try:
                done = erase_contact(session, workspaces[0].id, args.name, replacement=translate(locale, "privacy.erased"))
            except ErasureError as exc:
                raise CliError(f"{exc}; nothing was changed") from exc
    finally:
        runtime.close()
    out.write(translate(locale, "privacy.erase_done", name=args.name,
                        contacts=counted(locale, done.contacts, "contact_rows"),
                        actions=counted(locale, done.actions, "actions_kept"),
                        pending=counted(locale, done.pending, "pending_deleted"),
                        values=counted(locale, done.values, "values_replaced")) + "\n")
    return 0
def _export_accounts(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """``carnet export accounts``: every account, in the columns ``carnet accounts import`` reads."""
    from bot.reports.exports import accounts_table

    if args.since or args.until:
        raise CliError("accounts are not dated: --since and --until are for actions and opportunities")
    runtime = _runtime(settings, profiles=False)
    try:
        with runtime.session_factory() as session:
            ids = [w.id for w in _workspaces(session, args.team)]
            table = accounts_table(session, ids, args.lang or settings.default_locale)
            _write_table(table, args.format, args.output, out, name="accounts", today=runtime.clock.now().date())
    finally:
        runtime.close()
    return 0


def _accounts(args: argparse.Namespace, settings: Settings, out: TextIO, _stdin: TextIO) -> int:
    """``carnet accounts import FILE.csv`` and ``carnet accounts merge A B`` (bot/cli_accounts.py)."""
    from bot.cli_accounts import run

    return run(args, settings, out, runtime=_runtime(settings, profiles=False), workspaces=_workspaces, error=CliError)


def _report(args: argparse.Namespace, settings: Settings, out: TextIO, _stdin: TextIO) -> int:
    if args.report_command == "review":
        from bot.cli_review import print_review

        try:
            return print_review(args, settings, out, _runtime(settings, profiles=False))
        except LookupError as exc:
            raise CliError(str(exc)) from exc
    return _kpis(args, settings, out, default_format=args.format)


def _kpis(args: argparse.Namespace, settings: Settings, out: TextIO, *, default_format: str) -> int:
    """``carnet report kpis`` and ``carnet export kpis``: one row per rep and manager of the workspace."""
    from bot.clock import FixedClock
    from bot.reports.exports import kpis_table_for
    from bot.services.periods import CURRENT
    from storage.queries.members import sellers

    runtime = _runtime(settings, profiles=False, **({"clock": FixedClock(args.now)} if args.now else {}))
    try:
        with runtime.session_factory() as session:
            [workspace] = _workspaces(session, args.team) or [None]
            if workspace is None:
                raise CliError("no workspace in this database (carnet demo makes one)")
            members = sellers(session, workspace.id)
            table = kpis_table_for(session, workspace, members, now=runtime.clock.now(), period=args.period or CURRENT)
            _write_table(table, default_format, args.output, out, name="kpis", today=runtime.clock.now().date())
    finally:
        runtime.close()
    return 0


def _write_table(table, fmt: str, output: str | None, out: TextIO, *, name: str, today: date) -> None:
    """CSV and the terminal table to ``out`` (or ``output``); Excel to ``output`` or a file named after
    the export in the current directory, said on ``out``."""
    from bot.reports.tables import write_csv, write_text, write_xlsx

    if fmt == "xlsx":
        path = os.path.abspath(output or f"carnet-{name}-{today.isoformat()}.xlsx")
        try:
            count = write_xlsx(table, path)
        except OSError as exc:
            raise CliError(f"cannot write {path}: {exc.strerror}") from exc
        out.write(f"{count} row(s) written to {path}\n")
        return
    writer = write_text if fmt == "table" else write_csv
    if output is None:
        writer(table, out)
        return
    path = os.path.abspath(output)
    try:
        with open(path, "w", encoding="utf-8", newline="") as file:
            count = writer(table, file)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from exc
    out.write(f"{count} row(s) written to {path}\n")


def _team(args: argparse.Namespace, settings: Settings, out: TextIO, _stdin: TextIO) -> int:
    """``carnet team import FILE.csv``: every row or none, problems said line by line."""
    from slack_sdk.errors import SlackApiError

    from bot.messages import translate
    from bot.services import team_setup
    from bot.services.members import get_or_create_workspace

    try:
        text = open(args.file, encoding="utf-8-sig").read()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from exc
    rows, problems = team_setup.parse_csv(text)
    runtime = _runtime(settings, profiles=False)
    try:
        with runtime.session_factory() as session:
            team_id = _import_team_id(session, args.team)
        # The workspace's own token with OAuth (none when it is not installed: no check).
        user_exists = _slack_user_check(settings, runtime.tokens.for_team(team_id) if runtime.tokens else None)
        with runtime.session_factory() as session, session.begin():
            workspace = get_or_create_workspace(session, team_id, now=runtime.clock.now())
            if not problems:
                try:
                    result = team_setup.apply(
                        session, workspace, rows, now=runtime.clock.now(), default_tz=settings.default_tz,
                        default_locale=settings.default_locale, user_exists=user_exists,
                    )
                except team_setup.TeamSetupError as error:
                    problems = error.problems
                except (SlackApiError, OSError) as exc:  # Slack down or unreachable: nothing is stored
                    reason = exc.response.get("error") if isinstance(exc, SlackApiError) else str(exc)
                    raise CliError(f"Slack could not say whether the users exist ({reason}); nothing was imported.") from exc
            if problems:
                session.rollback()
                for problem in problems:
                    message = translate(settings.default_locale, f"team.error.{problem.code}", value=problem.value)
                    print(f"{args.file}:{problem.line}: {message}", file=sys.stderr)
                print(f"carnet: {len(problems)} problem(s); nothing was imported.", file=sys.stderr)
                return 2
    finally:
        runtime.close()
    out.write(f"Workspace {team_id}: {len(result.created)} member(s) added, {len(result.updated)} updated.\n")
    return 0


def _slack_user_check(settings: Settings, token: str | None = None) -> Any:
    """With a bot token, a check that a user id exists in Slack (users.info); None without one."""
    token = token or settings.slack_bot_token
    if not token:
        return None
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    from bot.app import make_web_client
    from bot.slack_profiles import user_exists as slack_user_exists

    client = make_web_client(token, settings.slack_api_url)
    # One users.info per new member: a big file meets Slack's rate limit; wait as Slack asks.
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=5))
    return lambda user_id: slack_user_exists(client, user_id)


def _import_team_id(session: Any, team: str | None) -> str:
    """The workspace a team file goes to: ``--team``, else the only one, else the local one."""
    from bot.demo import LOCAL_TEAM_ID
    from storage.queries import workspaces

    known = workspaces(session)
    if team:
        return team
    if len(known) == 1:
        return known[0].team_id
    if not known:
        return LOCAL_TEAM_ID
    raise CliError("this database holds several workspaces: choose one with --team")


def _failed_lines(rows) -> list[str]:  # rows: list[bot.services.outbox.FailedRow]
    return [
        f"  #{r.id} {r.team_id} {r.dedupe_key} [{r.kind} → {r.destination}] after {r.attempts} attempt(s): {r.error}"
        for r in rows
    ]


def _jobs_outbox(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """``carnet jobs status`` and ``carnet jobs retry``: the outbox as an operator sees it."""
    from bot.services import outbox

    runtime = _runtime(settings, profiles=False)
    try:
        with runtime.session_factory() as session, session.begin():
            if args.jobs_command == "retry":
                for row_id in args.ids or []:
                    if row_id < 1:
                        raise CliError(f"--id {row_id}: not an outbox row id; nothing was changed")
                try:
                    count = outbox.retry_failed(session, now=runtime.clock.now(), ids=args.ids)
                except outbox.NotFailed as exc:
                    raise CliError(f"no failed outbox row with id {exc}; nothing was changed "
                                   "(carnet jobs status lists the failed rows)") from exc
                out.write(f"{count} failed message(s) put back in the outbox; the worker sends them now.\n")
                return 0
            counts = outbox.status_counts(session)
            failed = outbox.failed_rows(session)
        order = ["pending", "claimed", "sent", "failed", "dropped"]
        shown = ", ".join(f"{counts.get(s, 0)} {s}" for s in order + sorted(set(counts) - set(order)))
        out.write(f"Outbox: {shown}.\n")
        if failed:
            out.write("Failed (carnet jobs retry --id N, or --all-failed):\n")
            out.write("\n".join(_failed_lines(failed)) + "\n")
    finally:
        runtime.close()
    return 0


def _jobs(args: argparse.Namespace, settings: Settings, out: TextIO, _stdin: TextIO) -> int:
    from bot.clock import FixedClock, SystemClock
    from bot.jobs.scheduler import erase_uninstalled, run_due

    if args.jobs_command in ("status", "retry"):
        return _jobs_outbox(args, settings, out)
    clock = FixedClock(args.now) if args.now else SystemClock()
    runtime = _runtime(settings, clock=clock, profiles=False)
    try:
        # As the scheduler's tick: workspaces uninstalled past the grace period are erased first.
        for erased in erase_uninstalled(runtime.session_factory, clock.now(), retention_days=settings.retention_days):
            out.write(f"Workspace {erased.team_id} erased ({settings.retention_days} days after its uninstall): "
                      f"{erased.total} rows.\n")
        report = run_due(runtime.session_factory, clock.now())
        out.write(f"{clock.now().isoformat()}: {report}.\n")
        if not settings.slack_bot_token and not settings.oauth:
            out.write("SLACK_BOT_TOKEN is not set: the queued messages wait in the outbox.\n")
            return 0
        delivered = runtime.delivery.drain()
        if delivered.failed_ids:
            from bot.services import outbox

            with runtime.session_factory() as session:
                failed = outbox.failed_rows(session, delivered.failed_ids)
    finally:
        runtime.close()
    out.write(f"Outbox: {delivered.sent} sent, {delivered.retried} to retry, {delivered.failed} failed, {delivered.dropped} dropped.\n")
    if delivered.deferred:
        out.write(f"Outbox: {delivered.deferred} wait for their channel's pace (Slack: about one message a second "
                  "per channel); the worker, or the next run, sends them.\n")
    if delivered.failed_ids:
        out.write("Failed (carnet jobs retry --id N, or --all-failed):\n")
        out.write("\n".join(_failed_lines(failed)) + "\n")
    return 0


def _manifest(args: argparse.Namespace, settings: Settings, out: TextIO, _stdin: TextIO) -> int:
    from bot.manifest import build_manifest

    try:
        manifest = build_manifest(public_url=args.url, socket_mode=args.socket_mode, name=args.name)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    out.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return 0


def _workspace(args: argparse.Namespace, settings: Settings, out: TextIO, stdin: TextIO) -> int:
    """``carnet workspace erase T…``: every table, every row with the workspace's id, and its installation."""
    from bot.services import installs
    from bot.services.members import find_workspace
    from storage.db import make_engine, make_session_factory, upgrade

    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions() as session:
            workspace = find_workspace(session, args.team)
            name = workspace.name if workspace is not None else ""
        if workspace is None:
            raise CliError(f"no workspace {args.team!r} in this database; nothing was erased")
        if not args.yes:
            out.write(f"Erase every row of workspace {args.team} ({name or 'no name'})? This cannot be undone.\n"
                      f"Type the team id to confirm: ")
            out.flush()
            if stdin.readline().strip() != args.team:
                raise CliError("not confirmed; nothing was erased")
        with sessions() as session, session.begin():
            erased = installs.erase(session, args.team)
    finally:
        engine.dispose()
    assert erased is not None
    out.write(f"Workspace {args.team} erased: {erased.total} rows"
              + "".join(f"\n  {table}: {count}" for table, count in sorted(erased.rows.items())) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
