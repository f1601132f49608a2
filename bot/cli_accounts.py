"""``carnet accounts import FILE.csv`` and ``carnet accounts merge A B``: the accounts from the terminal."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, TextIO

from bot.settings import Settings


def add_commands(sub: Any) -> None:
    """accounts import, accounts merge."""
    accounts = sub.add_parser("accounts", help="the workspace's accounts")
    accounts_sub = accounts.add_subparsers(dest="accounts_command", required=True, metavar="ACTION")
    imp = accounts_sub.add_parser("import", help="create or update accounts from a CSV file (all rows or none)")
    imp.add_argument("file", help="CSV (Excel's too: ; or , UTF-8 or Windows-1252) with columns name, status, segment, "
                                  "owner, visits_per_year, city, postcode (French headers work)")
    imp.add_argument("--team", default=None, help="workspace id (needed when the database has several)")
    merge = accounts_sub.add_parser("merge", help="merge account A into account B (the same company)")
    merge.add_argument("source", help="the account that goes (its actions, deals, contacts and plans move)")
    merge.add_argument("target", help="the account that stays")
    merge.add_argument("--team", default=None, help="workspace id (needed when the database has several)")


def run(args: argparse.Namespace, settings: Settings, out: TextIO, *, runtime: Any,
        workspaces: Callable[[Any, str | None], list], error: type[Exception]) -> int:
    """Run ``carnet accounts …`` on ``runtime``; ``error`` is the CLI's one-line mistake."""
    try:
        with runtime.session_factory() as session, session.begin():
            found = workspaces(session, args.team)
            if not found:
                raise error("no workspace in this database (carnet demo makes one)")
            if args.accounts_command == "import":
                return _import(args, settings, out, session, found[0], runtime.clock.now(), error)
            return _merge(args, out, session, found[0], runtime.clock.now(), error)
    finally:
        runtime.close()


def _import(args, settings: Settings, out: TextIO, session, workspace, now, error) -> int:
    from bot.messages import translate
    from bot.services.account_import import AccountImportError, import_accounts

    try:
        with open(args.file, "rb") as file:
            data = file.read()
    except OSError as exc:
        raise error(f"cannot read {args.file}: {exc.strerror}") from exc
    try:
        result = import_accounts(session, workspace.id, data, now=now)
    except AccountImportError as failed:
        session.rollback()
        for problem in failed.problems:
            message = translate(settings.default_locale, f"accounts.import.{problem.code}", value=problem.value)
            print(f"{args.file}:{problem.line}: {message}", file=sys.stderr)
        print(f"carnet: {len(failed.problems)} problem(s); nothing was imported.", file=sys.stderr)
        return 2
    out.write(f"Workspace {workspace.team_id}: {result.created} account(s) added, {result.updated} updated.\n")
    return 0


def _merge(args, out: TextIO, session, workspace, now, error) -> int:
    from bot.services.account_merge import MergeError, merge_accounts
    from bot.services.accounts import find_account

    accounts = []
    for typed in (args.source, args.target):
        match = find_account(session, workspace.id, typed)
        if match.exact is None:
            near = ", ".join(a.name for a in match.suggestions)
            raise error(f"no account {typed!r}" + (f" (did you mean: {near}?)" if near else "") + "; nothing was merged")
        accounts.append(match.exact)
    source, target = accounts
    names = (source.name, target.name)
    try:
        result = merge_accounts(session, source, target, now=now)
    except MergeError as exc:
        raise error(f"{exc.code.replace('_', ' ')}: nothing was merged") from exc
    nouns = {"contact": "contact", "action": "action", "opportunity": "deal", "plan": "plan"}
    moved = ", ".join(f"{count} {nouns[table]}(s)" for table, count in result.moved.items())
    out.write(f"{names[0]} merged into {names[1]}: {moved} moved; {result.contacts_joined} contact(s) joined, "
              f"{result.plans_cancelled} duplicate automatic plan(s) cancelled.\n")
    return 0
