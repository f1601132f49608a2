"""Time the door check (bot/handlers/door.py) per request: what it adds before Bolt.

    python benchmarks/door.py               # 2,000 rounds of each body
    python benchmarks/door.py --rounds 500

Rows: a slash command, a button click, a view submission of a full /log form, a view of about
100 KB (a large modal), and a refused one (bad signature). Figures in milliseconds. Exit status 0.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import SIGNING_SECRET, parser, print_table, summary  # noqa: E402
from bot.handlers.door import Door  # noqa: E402
from tests.security.hostile import signed_headers  # noqa: E402
from tests.support.slack_requests import (  # noqa: E402
    block_actions_body, modal_view, slash_command_body, text_value, view_submission_body,
)


def bodies() -> list[tuple[str, bytes, dict[str, str]]]:
    large = modal_view(callback_id="log.form", values={f"f{n}": text_value("x" * 900) for n in range(110)})
    rows = [
        ("slash command", slash_command_body("/log", "visite Gamma proposition hier")),
        ("button click", block_actions_body(action_id="carnet.choice.1", value="log.undo:12")),
        ("/log form", view_submission_body(callback_id="log.form", values={"note": text_value("x" * 900)})),
        ("~100 KB view", "payload=" + json.dumps({"type": "view_submission", "user": {"id": "U1", "team_id": "T1"},
                                                  "team": {"id": "T1"}, "view": large})),
    ]
    out = [(name, body.encode(), {k.lower(): v for k, v in signed_headers(body.encode(), secret=SIGNING_SECRET).items()})
           for name, body in rows]
    bad = dict(out[0][2], **{"x-slack-signature": "v0=" + "0" * 64})
    return out + [("refused (signature)", out[0][1], bad)]


def main() -> int:
    args_parser = parser(__doc__)
    args_parser.add_argument("--rounds", type=int, default=2000)
    args = args_parser.parse_args()
    door = Door(SIGNING_SECRET)
    rows = []
    for name, body, headers in bodies():
        times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            door.check(headers, body)
            times.append((time.perf_counter() - started) * 1000)
        rows.append((f"{name} ({len(body) // 1024} KB)", summary(times)))
    print_table("door check per request", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
