"""Journeys through the terminal door (``ConsoleDoor``) against a real SQLite file.

Every test reads the transcript as a person at the terminal would, and checks the
database: what was promised is stored, and nothing is stored when Carnet says so.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Iterator

import pytest
from sqlalchemy import select

from bot.console import ConsoleDoor
from bot.core import Request
from bot.runtime import Runtime, build_runtime
from bot.services.accounts import create_account
from bot.services.members import Profile, get_or_create_workspace
from storage.models import Account, Action, Contact, Member, PendingCommand
from tests.console.conftest import Terminal
from tests.support.fixtures import console_runtime, count_rows, make_settings
from tests.support.messages import console_line, says, sentence, word

TEAM = "T1"
USER = "U1"
KNOWN = ["Gamma Industries", "Gamma SA", "Alpha Industries", "Delta Logistique"]


# --------------------------------------------------------------------------- helpers


def _seed(rt: Runtime) -> None:
    with rt.session_factory() as session, session.begin():
        workspace = get_or_create_workspace(session, TEAM, now=rt.clock.now())
        for name in KNOWN:
            create_account(session, workspace.id, name, owner_id=None, now=rt.clock.now())


@pytest.fixture
def rt(sqlite_url, clock) -> Iterator[Runtime]:
    """A French-speaking rep's Carnet with four known accounts."""
    with console_runtime(sqlite_url, locale="fr-FR", clock=clock) as runtime:
        _seed(runtime)
        yield runtime


@pytest.fixture
def rt_en(sqlite_url, clock) -> Iterator[Runtime]:
    """The same, for a rep whose Slack profile is in English."""
    with console_runtime(sqlite_url, locale="en-US", clock=clock) as runtime:
        _seed(runtime)
        yield runtime


def terminal(runtime: Runtime, user: str = USER) -> Terminal:
    """One terminal session, its output read as printed (no-break spaces kept)."""
    return Terminal(runtime, user, team=TEAM, plain_spaces=False)


def run(runtime: Runtime, lines: list[str], user: str = USER) -> str:
    """A whole scripted session (welcome, lines, goodbye), as ``carnet console --script`` runs it."""
    out = io.StringIO()
    ConsoleDoor(runtime.conversation, team_id=TEAM, user_id=user, out=out).run(iter(lines))
    return out.getvalue()


def actions(runtime: Runtime) -> list[Action]:
    with runtime.session_factory() as session:
        rows = list(session.scalars(select(Action).order_by(Action.id)))
        for row in rows:  # load what the assertions read before the session closes
            _ = row.account.name, row.member.slack_user_id, row.contact and row.contact.name
        return rows


def account_names(runtime: Runtime) -> list[str]:
    with runtime.session_factory() as session:
        return sorted(session.scalars(select(Account.name)))


def assert_nothing_stored(runtime: Runtime) -> None:
    assert count_rows(runtime.session_factory, Action) == 0
    assert account_names(runtime) == sorted(KNOWN)
    assert count_rows(runtime.session_factory, Contact) == 0


YESTERDAY = date(2026, 11, 22)
TODAY = date(2026, 11, 23)


# --------------------------------------------------------------------------- /log with words


def test_a_whole_scripted_session_logs_a_known_account(rt):
    transcript = run(rt, ["/log visite Gamma Industries proposition hier", "quit", "/log visite Alpha Industries"])

    lines = transcript.splitlines()
    assert lines[0].startswith("Console Carnet — espace T1, vous êtes U1.")
    assert "> /log visite Gamma Industries proposition hier" in lines  # the script is echoed
    assert console_line("log.saved", action_type=word("action_type.visit"), account='Gamma Industries') in lines
    assert console_line("log.undo_hint") in lines
    assert re.search(r"^  Date +: 22 nov\. 2026$", transcript, re.M)
    assert re.search(r"^  Société +: Gamma Industries$", transcript, re.M)
    assert re.search(r"^  Résultat +: proposition$", transcript, re.M)
    assert any(re.fullmatch(r"  \[\d\] Annuler l'action", line) for line in lines)
    assert lines[-1] == console_line("console.bye")
    assert "*" not in transcript and "`" not in transcript and ":white_check_mark:" not in transcript
    assert "Alpha" not in transcript.split("> quit")[1]  # nothing after quit is read

    [action] = actions(rt)
    assert (action.action_type, action.result, action.occurred_on) == ("visit", "proposal", YESTERDAY)
    assert action.account.name == "Gamma Industries"
    assert action.member.slack_user_id == USER
    assert action.source == "console"
    assert action.channel == "in_person"


def test_log_with_contact_function_and_note(rt):
    session = terminal(rt)
    out = session.type("/log appel Alpha Industries pas de besoin avec Mme Durand (acheteur) -- Rappeler en mars")

    assert console_line("log.saved", action_type=word("action_type.call"), account='Alpha Industries') in out
    assert re.search(r"^  Interlocuteur +: Mme Durand \(acheteur\)$", out, re.M)
    assert re.search(r"^  Note +: Rappeler en mars$", out, re.M)
    [action] = actions(rt)
    assert action.contact.name == "Mme Durand"
    assert action.contact_function == "buyer"
    assert action.result == "no_need"
    assert action.note == "Rappeler en mars"
    assert action.occurred_on == TODAY


# --------------------------------------------------------------------------- did you mean …


def test_did_you_mean_pick_a_suggestion_by_number(rt):
    session = terminal(rt)
    out = session.type("/log visite Gama Industries proposition hier")

    assert console_line("ask.account", typed='Gama Industries') in out
    assert "  [1] Gamma Industries" in out.splitlines()  # the closest name comes first
    create = session.number_of("Créer « Gama Industries »", out, item=-1)
    cancel = session.number_of("Annuler", out, item=-1)
    assert int(cancel) == int(create) + 1 == len(re.findall(r"^  \[\d+\]", out, re.M))
    assert count_rows(rt.session_factory, Action) == 0 and count_rows(rt.session_factory, PendingCommand) == 1  # nothing stored while asking

    out = session.type("1")

    assert console_line("log.saved", action_type=word("action_type.visit"), account='Gamma Industries') in out
    assert not says(out, "log.saved_new_account", console=True)
    [action] = actions(rt)
    assert action.account.name == "Gamma Industries"
    assert (action.action_type, action.result, action.occurred_on) == ("visit", "proposal", YESTERDAY)
    assert account_names(rt) == sorted(KNOWN)
    assert count_rows(rt.session_factory, PendingCommand) == 0


def test_did_you_mean_pick_another_suggestion(rt):
    session = terminal(rt)
    out = session.type("/log appel Gamma Industrie")
    number = session.number_of("Gamma SA", out, item=-1)

    out = session.type(number)

    assert console_line("log.saved", action_type=word("action_type.call"), account='Gamma SA') in out
    [action] = actions(rt)
    assert action.account.name == "Gamma SA"


def test_did_you_mean_a_number_out_of_range_is_asked_again(rt):
    session = terminal(rt)
    out = session.type("/log visite Gama Industries")
    offered = len(re.findall(r"^  \[\d+\]", out, re.M))

    out = session.type(str(offered + 1))
    assert out.strip().endswith(f"Tapez un nombre entre 1 et {offered}.")
    out = session.type("0")
    assert f"Tapez un nombre entre 1 et {offered}." in out
    assert count_rows(rt.session_factory, Action) == 0 and count_rows(rt.session_factory, PendingCommand) == 1

    out = session.type("1")  # the choices are still there
    assert console_line("log.saved", action_type=word("action_type.visit"), account='Gamma Industries') in out
    assert count_rows(rt.session_factory, Action) == 1


def test_did_you_mean_create_the_account(rt):
    session = terminal(rt)
    out = session.type("/log visio Gama Industries")
    out = session.type(session.number_of("Créer « Gama Industries »", out, item=-1))

    assert console_line("log.saved", action_type=word("action_type.video"), account='Gama Industries') in out
    assert console_line("log.saved_new_account", account='Gama Industries') in out
    assert account_names(rt) == sorted(KNOWN + ["Gama Industries"])
    [action] = actions(rt)
    assert action.account.name == "Gama Industries"
    assert action.channel == "video"


def test_unknown_account_with_no_close_name_offers_create_or_cancel(rt):
    session = terminal(rt)
    out = session.type("/log visite Zorglub SARL rdv pris")

    assert console_line("log.ask_create", typed='Zorglub SARL') in out
    assert re.findall(r"^  \[(\d+)\] (.*)$", out, re.M) == [("1", "Créer « Zorglub SARL »"), ("2", "Annuler")]

    out = session.type("1")

    assert console_line("log.saved", action_type=word("action_type.visit"), account='Zorglub SARL') in out
    assert console_line("log.saved_new_account", account='Zorglub SARL') in out
    [action] = actions(rt)
    assert action.account.name == "Zorglub SARL"
    assert action.result == "meeting_booked"


def test_did_you_mean_cancel_stores_nothing(rt):
    session = terminal(rt)
    out = session.type("/log visite Gama Industries proposition")
    out = session.type(session.number_of("Annuler", out, item=-1))

    assert out.strip().splitlines()[-1] == console_line("log.cancelled")
    assert_nothing_stored(rt)
    assert count_rows(rt.session_factory, PendingCommand) == 0

    # The choices are gone: the same number now shows the help, and still stores nothing.
    out = session.type("1")
    assert console_line("help.title") in out
    assert_nothing_stored(rt)


def test_a_choice_cannot_be_used_after_its_pending_command_expired(rt, clock):
    session = terminal(rt)
    session.type("/log visite Gama Industries")
    clock.advance(timedelta(hours=2))

    out = session.type("1")

    assert console_line("choice.expired") in out
    assert_nothing_stored(rt)


# --------------------------------------------------------------------------- errors


def test_unknown_action_type_suggests_the_nearest_and_stores_nothing(rt):
    session = terminal(rt)
    out = session.type("/log vizite Gamma Industries proposition")

    lines = out.splitlines()
    assert console_line("log.error.unknown_type", word='vizite') in lines
    assert console_line("log.error.suggest", suggestion=word("action_type.visit")) in lines
    assert any(line.startswith("Types d'action : visite, appel") for line in lines)
    assert console_line("error.nothing_stored") in lines
    assert console_line("log.example") in lines
    assert "Traceback" not in out
    assert_nothing_stored(rt)
    assert count_rows(rt.session_factory, PendingCommand) == 0


@pytest.mark.parametrize(
    "text, expected",
    [
        ("visite", "Quelle société ?"),
        ("rdv Gamma Industries demain", "« demain » est dans le futur"),
        ('visite "Gamma Industries proposition', "Un guillemet n'est pas fermé"),
    ],
)
def test_parse_errors_say_what_went_wrong_and_store_nothing(rt, text, expected):
    out = terminal(rt).type(f"/log {text}")

    assert expected in out
    assert console_line("error.nothing_stored") in out
    assert_nothing_stored(rt)
    assert count_rows(rt.session_factory, PendingCommand) == 0


def test_unknown_command_and_plain_words(rt):
    session = terminal(rt)
    out = session.type("/plop visite Gamma")
    assert console_line("error.unknown_command", command='plop') in out

    out = session.type("bonjour")  # not a command: the help
    assert console_line("help.title") in out
    assert "# a comment" not in session.type("# a comment", "", "   ")
    assert_nothing_stored(rt)


# --------------------------------------------------------------------------- undo


def test_undo_removes_the_action(rt):
    session = terminal(rt)
    out = session.type("/log visite Gamma Industries proposition")
    number = session.number_of("Annuler l'action", out, item=-1)

    out = session.type(number)

    assert console_line("log.undone", action_type=word("action_type.visit"), account='Gamma Industries') in out
    assert count_rows(rt.session_factory, Action) == 0
    assert account_names(rt) == sorted(KNOWN)  # the account stays: it existed before


def test_undo_after_a_suggestion_pick(rt):
    session = terminal(rt)
    session.type("/log appel Gama Industries")
    out = session.type("1")
    assert count_rows(rt.session_factory, Action) == 1

    out = session.type(session.number_of("Annuler l'action", out, item=-1))

    assert console_line("log.undone", action_type=word("action_type.call"), account='Gamma Industries') in out
    assert count_rows(rt.session_factory, Action) == 0


def test_undo_is_refused_after_ten_minutes(rt, clock):
    session = terminal(rt)
    session.type("/log visite Gamma Industries")
    clock.advance(timedelta(minutes=11))

    out = session.type("1")

    assert console_line("log.undo_expired") in out
    assert count_rows(rt.session_factory, Action) == 1


def test_undo_twice_says_it_is_already_done(rt):
    session = terminal(rt)
    session.type("/log visite Gamma Industries")
    # The door forgets the Undo choice once used; a second undo of the same action goes
    # through the same choice value, as a second click on a stale Slack button would.
    undo_value = session.door.choices[0].value
    session.type("1")
    reply = rt.conversation.handle(Request(TEAM, USER, choice=undo_value, door="console"))
    assert reply.keys == ["log.already_undone"]
    assert count_rows(rt.session_factory, Action) == 0


def test_undo_belongs_to_its_author(rt):
    alice = terminal(rt, user="U1")
    alice.type("/log visite Gamma Industries")
    undo_value = alice.door.choices[0].value

    bob = terminal(rt, user="U2")
    bob.door.choices = list(alice.door.choices)  # Bob presses Alice's button
    out = bob.type("1")

    assert console_line("choice.not_yours") in out
    assert count_rows(rt.session_factory, Action) == 1
    assert undo_value.startswith("log.undo:")


# --------------------------------------------------------------------------- the form


FORM_PROMPTS = [
    "Type d'action: ",
    "Société: ",
    "Résultat (facultatif): ",
    "Interlocuteur (facultatif): ",
    "Fonction de l'interlocuteur (facultatif): ",
    "Date [2026-11-23]: ",
    "Note (facultatif): ",
]


def prompts(output: str) -> list[str]:
    """The prompts of the form in the order they were shown (the answer is echoed after them)."""
    shown = []
    for line in output.splitlines():
        for prompt in FORM_PROMPTS:
            if line.startswith(prompt):
                shown.append(prompt)
    return shown


def test_form_answers_by_number_and_text(rt):
    session = terminal(rt)
    out = session.type(
        "/log",
        "2",  # action type: the 2nd option, appel
        "Alpha Industries",
        "2",  # result: pas de besoin
        "Mme Durand",
        "1",  # function: acheteur
        "2026-11-20",
        "Budget validé au T2",
    )

    assert out.startswith("Noter une action — Entrée pour passer un champ facultatif.")
    assert prompts(out) == FORM_PROMPTS
    assert "  [1] visite" in out and "  [2] appel" in out
    assert console_line("log.saved", action_type=word("action_type.call"), account='Alpha Industries') in out
    assert re.search(r"^  Interlocuteur +: Mme Durand \(acheteur\)$", out, re.M)
    [action] = actions(rt)
    assert (action.action_type, action.result, action.occurred_on) == ("call", "no_need", date(2026, 11, 20))
    assert action.contact.name == "Mme Durand"
    assert action.contact_function == "buyer"
    assert action.note == "Budget validé au T2"
    assert action.source == "console"


def test_form_accepts_option_codes_and_defaults(rt):
    session = terminal(rt)
    out = session.type("/log", "visit", "gamma industries", "", "", "", "", "")

    assert console_line("log.saved", action_type=word("action_type.visit"), account='Gamma Industries') in out
    [action] = actions(rt)
    assert (action.action_type, action.result, action.occurred_on, action.contact) == ("visit", None, TODAY, None)


def test_form_bad_option_number_is_asked_again_on_the_spot(rt):
    session = terminal(rt)
    out = session.type("/log", "42", "1", "Gamma SA", "", "", "", "", "")

    assert console_line("console.bad_pick", count='9') in out  # nine action types (social: issue 15)
    assert prompts(out).count("Type d'action: ") == 2
    [action] = actions(rt)
    assert action.action_type == "visit"


def test_form_validation_error_reasks_only_the_bad_field(rt):
    session = terminal(rt)
    out = session.type(
        "/log", "1", "Gamma Industries", "1", "", "", "2030-01-01", "Note gardée",
        "2026-11-21",  # the date again, and only the date
    )

    before, _, after = out.partition("  ! date: Une action notée ne peut pas être dans le futur.")
    assert after, out
    assert prompts(before) == FORM_PROMPTS
    assert prompts(after) == ["Date [2026-11-23]: "]
    assert console_line("log.saved", action_type=word("action_type.visit"), account='Gamma Industries') in after
    [action] = actions(rt)
    assert action.occurred_on == date(2026, 11, 21)
    assert action.result == "proposal"
    assert action.note == "Note gardée"  # the answers given before the error are kept


def test_form_error_on_an_unknown_account_stores_nothing_until_fixed(rt):
    session = terminal(rt)
    out = session.type("/log", "1", "Gama Industries", "", "", "", "", "", "Gamma Industries")

    unknown = sentence("form.error.unknown_account_suggest", console=True, typed="Gama Industries",
                       candidates=re.compile("Gamma Industries.*"))
    assert re.search(f"^  ! account: {unknown.pattern}", out, flags=re.M)
    _, _, after = out.partition("  ! account:")
    assert prompts(after) == ["Société: "]
    assert console_line("log.saved", action_type=word("action_type.visit"), account='Gamma Industries') in after
    assert account_names(rt) == sorted(KNOWN)
    assert count_rows(rt.session_factory, Action) == 1


def test_form_can_create_a_new_account(rt):
    out = terminal(rt).type("/log", "4", "+Nouvelle Société", "", "", "", "", "")

    assert f"  ({console_line('form.account_hint_console')})" in out
    assert console_line("log.saved", action_type=word("action_type.meeting"), account='Nouvelle Société') in out
    assert console_line("log.saved_new_account", account='Nouvelle Société') in out
    assert "Nouvelle Société" in account_names(rt)
    assert count_rows(rt.session_factory, Action) == 1


def test_form_gives_up_after_three_bad_rounds_and_stores_nothing(rt):
    out = terminal(rt).type("/log", "1", "Gamma Industries", "", "", "", "2030-01-01", "", "2031-01-01", "2032-01-01")

    assert out.count("  ! date:") == 3
    assert out.strip().splitlines()[-1] == console_line("console.form_cancelled")
    assert_nothing_stored(rt)


@pytest.mark.parametrize("stop_after", [0, 1, 5])
def test_form_cancelled_by_typing_annuler_stores_nothing(rt, stop_after):
    answers = ["1", "Gamma Industries", "1", "Mme Durand", "1", "", ""][:stop_after]
    out = terminal(rt).type("/log", *answers, "annuler", "/carnet help")

    assert console_line("console.form_cancelled") in out
    assert console_line("help.title") in out.partition("Formulaire annulé.")[2]  # back at the prompt
    assert_nothing_stored(rt)


def test_form_cancelled_when_the_input_ends(rt):
    transcript = run(rt, ["/log", "1", "Gamma Industries"])

    assert console_line("console.form_cancelled") in transcript
    assert transcript.strip().splitlines()[-1] == console_line("console.bye")
    assert_nothing_stored(rt)


def test_undo_a_form_entry(rt):
    session = terminal(rt)
    out = session.type("/log", "1", "Gamma Industries", "", "", "", "", "")
    out = session.type(session.number_of("Annuler l'action", out, item=-1))

    assert console_line("log.undone", action_type=word("action_type.visit"), account='Gamma Industries') in out
    assert count_rows(rt.session_factory, Action) == 0


# --------------------------------------------------------------------------- English


def test_english_member_is_answered_in_english(rt_en):
    transcript = run(
        rt_en,
        [
            "/log visit Gamma Industries proposal yesterday",
            "/log call Gama Industries",
            "1",
            "/log vizit Alpha Industries",
            "bye",
        ],
    )

    lines = transcript.splitlines()
    assert console_line("log.saved", "en", action_type=word("action_type.visit", "en"), account='Gamma Industries') in lines
    assert console_line("log.undo_hint", "en") in lines
    assert re.search(r"^  Date +: Nov 22, 2026$", transcript, re.M)
    assert re.search(r"^  Account +: Gamma Industries$", transcript, re.M)
    assert "  [1] Undo" in lines
    assert console_line("ask.account", "en", typed='Gama Industries') in lines
    assert "  [1] Gamma Industries" in lines
    assert any(re.fullmatch(r"  \[\d\] Create “Gama Industries”", line) for line in lines)
    assert any(re.fullmatch(r"  \[\d\] Cancel", line) for line in lines)
    assert console_line("log.saved", "en", action_type=word("action_type.call", "en"), account='Gamma Industries') in lines
    assert console_line("log.error.unknown_type", "en", word='vizit') in lines
    assert console_line("log.error.suggest", "en", suggestion=word("action_type.visit", "en")) in lines
    assert console_line("error.nothing_stored", "en") in lines
    assert lines[-1] == "Bye!"
    for french in ("Noté", "Société", "Annuler", "Rien n'a été"):
        assert french not in transcript

    with rt_en.session_factory() as session:
        member = session.scalar(select(Member).where(Member.slack_user_id == USER))
        assert member.locale == "en"
    assert [(a.action_type, a.account.name) for a in actions(rt_en)] == [
        ("visit", "Gamma Industries"),
        ("call", "Gamma Industries"),
    ]


def test_english_member_form_in_english(rt_en):
    session = terminal(rt_en)
    out = session.type("/log", "2", "Alpha Industries", "", "", "", "2030-01-01", "", "2026-11-20")

    assert out.startswith("Log an action — press Enter to skip an optional field.")
    assert "Action type: 2" in out
    assert "Result (optional): " in out
    assert f"  ! date: {console_line('form.error.future_date', 'en')}" in out
    assert console_line("log.saved", "en", action_type=word("action_type.call", "en"), account='Alpha Industries') in out
    [action] = actions(rt_en)
    assert action.occurred_on == date(2026, 11, 20)


def test_english_member_may_type_french_words(rt_en):
    out = terminal(rt_en).type("/log visite Alpha Industries proposition hier")

    assert console_line("log.saved", "en", action_type=word("action_type.visit", "en"), account='Alpha Industries') in out
    [action] = actions(rt_en)
    assert (action.result, action.occurred_on) == ("proposal", YESTERDAY)


def test_each_member_keeps_their_language(sqlite_url, clock):
    locales = {"UFR": "fr", "UEN": "en"}
    runtime = build_runtime(
        make_settings(sqlite_url), clock=clock, profiles=lambda user: Profile(locale=locales[user])
    )
    try:
        _seed(runtime)
        fr_out = terminal(runtime, user="UFR").type("/log visite Gamma SA")
        en_out = terminal(runtime, user="UEN").type("/log visit Gamma SA")
    finally:
        runtime.close()
    assert console_line("log.saved", action_type=word("action_type.visit"), account='Gamma SA') in fr_out
    assert console_line("log.saved", "en", action_type=word("action_type.visit", "en"), account='Gamma SA') in en_out

