"""``carnet report review WHO``: the review pack in the terminal — a manager's pack (every rep
below them, those at risk first) or one rep's section — the very text the scheduler sends."""

from __future__ import annotations

import argparse
from pathlib import Path
from dataclasses import replace
from typing import TextIO

from bot.core import Reply
from bot.present import MemberReader
from bot.present.review import pack_reply
from bot.render.text import render_reply
from bot.reports.review import review_pack
from bot.services import workspace_settings
from bot.services.team import find_member_by_mention, team_of
from bot.settings import Settings
from storage.queries import workspaces


def print_review(args: argparse.Namespace, settings: Settings, out: TextIO, runtime) -> int:
    """Print the pack of ``args.who`` (a manager or admin: their reps; a rep: theirs alone).
    Raises ``LookupError`` with a sentence for the terminal when the workspace or member is unknown."""
    try:
        now = args.now or runtime.clock.now()
        with runtime.session_factory() as session:
            known = workspaces(session)
            if args.team:
                known = [w for w in known if w.team_id == args.team]
                if not known:
                    raise LookupError(f"no workspace {args.team!r} in this database")
            elif len(known) > 1:
                raise LookupError(f"this database holds several workspaces ({', '.join(w.team_id for w in known)}): choose one with --team")
            if not known:
                raise LookupError("no workspace in this database (carnet demo makes one)")
            workspace = known[0]
            member = find_member_by_mention(session, workspace.id, args.who)
            if member is None:
                raise LookupError(f"no member {args.who!r} in workspace {workspace.team_id}")
            reps = [member] if member.role == "rep" else [m for m in team_of(session, member) if m.role == "rep"]
            if not reps:
                raise LookupError(f"{member.display_name} has no rep to review")
            pack = review_pack(session, member, reps, now=now, settings=workspace_settings.load(workspace))
            reader = MemberReader.of(member, now)
            if args.lang:
                reader = replace(reader, locale=args.lang)
            reply = pack_reply(reader, pack)
        written = write_charts(reply, args.charts) if args.charts else []
        out.write(render_reply(reply) + "\n")
        out.writelines(f"{path}\n" for path in written)
    finally:
        runtime.close()
    return 0


def write_charts(reply: Reply, directory: str) -> list[Path]:
    """Write the pack's charts (PNG, drawn now) into ``directory`` (made if missing); the files written.
    Raises ``LookupError`` with a sentence for the terminal when the directory cannot be written."""
    from bot.render.files import bytes_of

    folder = Path(directory)
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for attachment in reply.attachments:
            path = folder / attachment.filename
            path.write_bytes(bytes_of(attachment))
            written.append(path)
    except OSError as exc:
        raise LookupError(f"cannot write the charts into {directory!r}: {exc.strerror or exc}") from exc
    return written
