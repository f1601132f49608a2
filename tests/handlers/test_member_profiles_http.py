"""Members' language and time zone come from Slack, also for members an admin set up before
their first use; an admin's explicit choice wins; ``user_change`` and the hourly check refresh
them; the account type-ahead speaks the member's language (issue 16)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from bot.jobs.profiles import check_profiles
from bot.manifest import build_manifest
from bot.messages import translate
from tests.handlers.conftest import add_account, message_text, rows
from tests.support.messages import says, word


def admin_sets_up(slack, fake_slack, text: str, *, tz: str = "Europe/Paris", locale: str = "fr-FR") -> None:
    """UADMIN (by default in Paris, French: the workspace's defaults) speaks first, so is the admin;
    then ``/carnet team text``."""
    fake_slack.add_user("UADMIN", name="admin", tz=tz, locale=locale)
    assert slack.command("/carnet", "help", user_id="UADMIN").status_code == 200
    body = slack.command("/carnet", f"team {text}", user_id="UADMIN").json()
    assert says(message_text(body), "team.saved", locale[:2]), message_text(body)


def member(runtime, user_id: str) -> dict:
    [found] = [m for m in rows(runtime, "member") if m["slack_user_id"] == user_id]
    return found


def user_change_event(user_id: str, *, tz: str, locale: str | None = None, name: str = "") -> dict:
    user = {"id": user_id, "team_id": "T1", "name": name or user_id.lower(), "real_name": name, "tz": tz,
            "tz_label": tz, "tz_offset": 0, "deleted": False, "is_bot": False,
            "profile": {"display_name": name, "real_name": name}}
    if locale is not None:
        user["locale"] = locale
    return {"type": "user_change", "user": user, "cache_ts": int(time.time()), "event_ts": f"{time.time():.6f}"}


def test_a_member_an_admin_created_speaks_their_slack_language_from_their_first_use(runtime, slack, fake_slack):
    add_account(runtime, "Gamma")
    admin_sets_up(slack, fake_slack, "<@UCHI|chris> role rep period week")
    fake_slack.add_user("UCHI", name="chris", tz="America/Chicago", locale="en-US")
    assert (member(runtime, "UCHI")["locale"], member(runtime, "UCHI")["tz"]) == ("fr", "Europe/Paris")
    assert member(runtime, "UCHI")["profile_checked_at"] is None

    body = slack.command("/log", "visit Gamma proposal", user_id="UCHI").json()
    assert says(message_text(body), "log.saved", "en", action_type=word("action_type.visit", "en"), account="Gamma")
    learnt = member(runtime, "UCHI")
    assert (learnt["locale"], learnt["tz"], learnt["locale_source"], learnt["tz_source"]) == (
        "en", "America/Chicago", "slack", "slack")
    assert learnt["profile_checked_at"] is not None and learnt["period"] == "week"  # the admin's set-up stays
    asked = [c.params["user"] for c in fake_slack.calls("users.info")]
    slack.command("/log", "call Gamma", user_id="UCHI")
    assert [c.params["user"] for c in fake_slack.calls("users.info")] == asked  # not asked again
    assert asked.count("UCHI") == 1


def test_a_member_set_up_by_an_admin_abroad_gets_their_own_zone_not_the_admins(runtime, slack, fake_slack):
    add_account(runtime, "Gamma")
    admin_sets_up(slack, fake_slack, "<@UPAR|paul> role rep", tz="America/New_York", locale="en-US")
    assert (member(runtime, "UPAR")["tz"], member(runtime, "UPAR")["tz_source"]) == ("America/New_York", "inherited")
    fake_slack.add_user("UPAR", name="paul", tz="Europe/Paris", locale="fr-FR")
    slack.command("/log", "visite Gamma", user_id="UPAR")
    assert (member(runtime, "UPAR")["tz"], member(runtime, "UPAR")["locale"]) == ("Europe/Paris", "fr")


def test_what_the_admin_chose_is_kept_and_what_they_did_not_comes_from_slack(runtime, slack, fake_slack):
    add_account(runtime, "Gamma")
    admin_sets_up(slack, fake_slack, "<@UNYC|nina> locale fr")
    fake_slack.add_user("UNYC", name="nina", tz="America/New_York", locale="en-US")
    body = slack.command("/log", "visite Gamma", user_id="UNYC").json()
    assert says(message_text(body), "log.saved", action_type=word("action_type.visit"), account="Gamma")
    learnt = member(runtime, "UNYC")
    assert (learnt["locale"], learnt["locale_source"]) == ("fr", "admin")
    assert (learnt["tz"], learnt["tz_source"]) == ("America/New_York", "slack")


def test_user_change_refreshes_a_member_and_ignores_other_users(runtime, slack, fake_slack):
    fake_slack.add_user("U1", name="alice", tz="Europe/Paris", locale="fr-FR")
    slack.command("/carnet", "help", user_id="U1")
    assert slack.event(user_change_event("U1", tz="Asia/Tokyo", locale="en-GB")).status_code == 200
    assert slack.event(user_change_event("USTRANGER", tz="Asia/Tokyo")).status_code == 200

    def learnt() -> bool:
        return (member(runtime, "U1")["tz"], member(runtime, "U1")["locale"]) == ("Asia/Tokyo", "en")

    deadline = time.monotonic() + 10
    while not learnt():
        assert time.monotonic() < deadline, member(runtime, "U1")
        time.sleep(0.05)
    assert [m["slack_user_id"] for m in rows(runtime, "member")] == ["U1"]  # nobody created

    # Slack's event carries no language: the next request reads the whole profile again.
    fake_slack.add_user("U1", name="alice", tz="Asia/Tokyo", locale="fr-FR")
    assert slack.event(user_change_event("U1", tz="Asia/Tokyo")).status_code == 200
    deadline = time.monotonic() + 10
    while member(runtime, "U1")["profile_checked_at"] is not None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    slack.command("/carnet", "help", user_id="U1")
    assert member(runtime, "U1")["locale"] == "fr"


def test_the_manifest_subscribes_to_user_change():
    assert "user_change" in build_manifest(socket_mode=True)["settings"]["event_subscriptions"]["bot_events"]


def test_the_hourly_check_reads_week_old_profiles_only_a_bounded_number_at_a_time(runtime, slack, fake_slack):
    for user in ("U1", "U2", "U3"):
        fake_slack.add_user(user, name=user.lower(), tz="Europe/Paris", locale="fr-FR")
        slack.command("/carnet", "help", user_id=user)
    for user in ("U1", "U2", "U3"):
        fake_slack.add_user(user, name=user.lower(), tz="America/Chicago", locale="en-US")
    lookup = runtime.conversation.profiles
    calls = len(fake_slack.calls("users.info"))

    report = check_profiles(runtime.session_factory, lookup, runtime.clock.now() + timedelta(days=6),
                            default_tz="Europe/Paris", default_locale="fr")
    assert (report.checked, len(fake_slack.calls("users.info"))) == (0, calls)  # six days: still fresh

    later = runtime.clock.now() + timedelta(days=7)
    report = check_profiles(runtime.session_factory, lookup, later, default_tz="Europe/Paris",
                            default_locale="fr", per_workspace=2)
    assert (report.checked, report.changed) == (2, 2)
    assert [m["tz"] for m in rows(runtime, "member")] == ["America/Chicago", "America/Chicago", "Europe/Paris"]
    report = check_profiles(runtime.session_factory, lookup, later, default_tz="Europe/Paris",
                            default_locale="fr", per_workspace=2)
    assert report.checked == 1  # the one left; the two just read are fresh again
    assert {(m["tz"], m["locale"]) for m in rows(runtime, "member")} == {("America/Chicago", "en")}

    # A user whose profile cannot be read fails once, then waits a week like the others.
    report = check_profiles(runtime.session_factory, lambda user: None if user == "U1" else lookup(user),
                            later + timedelta(days=7), default_tz="Europe/Paris", default_locale="fr")
    assert (report.checked, report.failed) == (2, 1)
    report = check_profiles(runtime.session_factory, lookup, later + timedelta(days=7, hours=1),
                            default_tz="Europe/Paris", default_locale="fr")
    assert (report.checked, report.failed) == (0, 0)


def test_the_type_ahead_speaks_the_members_language(runtime, slack, fake_slack):
    fake_slack.add_user("U1", name="alice", tz="Europe/Paris", locale="fr-FR")
    fake_slack.add_user("U5", name="john", tz="America/New_York", locale="en-US")
    for user in ("U1", "U5"):
        slack.command("/carnet", "help", user_id=user)
    add_account(runtime, "Gamma")

    def create_label(user: str) -> str:
        response = slack.suggest(action_id="account", block_id="account", value="Zeta", user_id=user)
        assert response.status_code == 200
        options = json.loads(response.text)["options"]
        assert [o["value"] for o in options] == ["new:Zeta"]
        return options[0]["text"]["text"]

    assert create_label("U5") == translate("en", "form.account_create_option", name="Zeta")
    assert create_label("U1") == translate("fr", "form.account_create_option", name="Zeta")


def test_the_worker_runs_the_profile_check(runtime, slack, fake_slack):
    fake_slack.add_user("U1", name="alice", tz="Europe/Paris", locale="fr-FR")
    slack.command("/carnet", "help", user_id="U1")
    fake_slack.add_user("U1", name="alice", tz="America/Chicago", locale="en-US")
    scheduler = runtime.scheduler()
    scheduler.check_profiles()
    assert member(runtime, "U1")["tz"] == "Europe/Paris"  # read a moment ago
    runtime.clock.set(runtime.clock.now() + timedelta(days=8))
    scheduler.check_profiles()
    assert (member(runtime, "U1")["tz"], member(runtime, "U1")["locale"]) == ("America/Chicago", "en")
