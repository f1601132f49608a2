"""What OAuth costs a request: the ack of ``/carnet help`` with one bot token, and with OAuth among
``--workspaces`` installed workspaces (each request's token read from slack-sdk's installation
store; auth.test once per token, cached).

    python benchmarks/oauth.py                       # SQLite file in a temp dir
    python benchmarks/oauth.py --requests 300 --workspaces 1000

Target: OAuth adds under 5 ms to the p95 ack (one indexed read of ``slack_bots`` per request).
"""

from __future__ import annotations

import time

import harness
import httpx

from harness import SIGNING_SECRET, FakeSlack, ServedApp, signed_command


def _runtime(db_url: str, api_url: str, *, oauth: bool):
    from bot.runtime import build_runtime
    from bot.services.members import Profile
    from bot.settings import Settings

    settings = Settings(database_url=db_url, slack_bot_token=None if oauth else harness.BOT_TOKEN,
                        slack_signing_secret=SIGNING_SECRET, slack_api_url=api_url,
                        slack_client_id="1.2" if oauth else None, slack_client_secret="s" if oauth else None,
                        slack_state_secret="x" if oauth else None)
    profile = Profile(display_name="bench", tz="Europe/Paris", locale="fr")
    return build_runtime(settings, profiles=lambda _user: profile)


def _install(runtime, fake: FakeSlack, workspaces: int) -> None:
    from slack_sdk.oauth.installation_store import Installation

    for n in range(workspaces):
        team, token = f"TB{n:05d}", f"xoxb-bench-{n}"
        fake.add_team(team, f"Bench {n}", token)
        runtime.installations.save(Installation(app_id="ABENCH", team_id=team, team_name=f"Bench {n}", bot_token=token,
                                                bot_id=f"B{n}", bot_user_id=f"UB{n}", bot_scopes="commands",
                                                user_id="UINSTALLER", token_type="bot"))


USERS = 5  # members per workspace taking turns


def _acks(runtime, requests: int, teams: list[str]) -> list[float]:
    took = []
    warm = len(teams) * USERS  # every member exists and every token was checked before the measure
    with ServedApp(runtime.web_app(with_delivery=False)) as served, httpx.Client(base_url=served.url, timeout=10) as client:
        for n in range(requests + warm):
            team = teams[n % len(teams)]
            body, headers = signed_command("/carnet", "help", team_id=team, user_id=f"U{(n // len(teams)) % USERS}")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            started = time.perf_counter()
            answer = client.post("/slack/events", content=body, headers=headers)
            elapsed = time.perf_counter() - started
            assert answer.status_code == 200 and answer.json().get("response_type") == "ephemeral", answer.text
            if n >= warm:
                took.append(elapsed * 1000)
    return took


def main() -> int:
    parser = harness.parser(__doc__)
    harness.add_database_options(parser)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workspaces", type=int, default=500)
    args = parser.parse_args()
    rows = []
    with FakeSlack() as fake:
        for oauth in (False, True):
            with harness.bench_database(args, filename=f"oauth-{oauth}.db") as url:
                runtime = _runtime(url, fake.api_url, oauth=oauth)
                try:
                    # The same ten workspaces talk in both runs (one token answers any team id).
                    teams = [f"TB{n:05d}" for n in range(0, args.workspaces, max(1, args.workspaces // 10))]
                    if oauth:
                        _install(runtime, fake, args.workspaces)
                    rows.append(("oauth" if oauth else "one token", harness.summary(_acks(runtime, args.requests, teams))))
                finally:
                    runtime.close()
    harness.print_table(f"/carnet help ack over HTTP ({args.requests} requests, {args.workspaces} workspaces installed)", rows)
    extra = rows[1][1]["p95"] - rows[0][1]["p95"]
    return harness.report_checks([(f"OAuth adds {extra:.1f} ms to the p95 ack (< 5 ms)", extra < 5)])


if __name__ == "__main__":
    raise SystemExit(main())
