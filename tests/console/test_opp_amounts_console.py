"""Amounts as people write them, through the terminal door and the real core (issue 13 §3):
what is read is stored, what is refused stores nothing."""

from __future__ import annotations

import re
from decimal import Decimal

from storage.models import Opportunity, OpportunityStageChange, PendingCommand
from tests.console.conftest import Terminal
from tests.console.test_opp_console import deals, rt  # noqa: F401 - rt is the fixture
from tests.support.fixtures import count_rows

D = Decimal


def test_a_deal_typed_in_words_is_stored_in_digits(rt):  # noqa: F811 - the imported fixture
    camille = Terminal(rt, "U1")
    out = camille.type('/opp new Gamma "Contrat" dix mille euros')
    assert "Nouvelle affaire chez Gamma : Contrat." in out
    assert re.search(r"Montant\s+: 10 000 €", out), out
    assert deals(rt) == [("U1", "Gamma", "Contrat", D("10000.00"), "EUR", 40, "proposal", "open", None)]

    jordan = Terminal(rt, "U2")
    out = jordan.type('/opp new Gamma "Renewal" twelve thousand dollars 30%')
    assert "Renewal" in out
    assert deals(rt)[-1] == ("U2", "Gamma", "Renewal", D("12000.00"), "USD", 30, "proposal", "open", None)

    # An update in words, with cents and a hedge.
    out = camille.type("/opp Gamma environ quinze mille euros 50 centimes")
    assert "Affaire mise à jour chez Gamma : Contrat." in out
    assert deals(rt)[0][3:5] == (D("15000.50"), "EUR")


def test_a_refused_amount_stores_nothing(rt):  # noqa: F811 - the imported fixture
    camille = Terminal(rt, "U1")
    for text, said in [
        ('/opp new Gamma "Contrat" dix mille 3', "Je ne sais pas lire le montant « 3 »."),
        ('/opp new Gamma "Contrat" 12 euros 150', "« 150 »"),
        ('/opp new Gamma "Contrat" 12 000 francs', "Je ne connais pas la devise « FRANCS ». Connues : AED, AUD, BRL, CAD, CHF"),
        ('/opp new Gamma "Contrat" - dix mille euros', "Un montant ne peut pas être négatif."),
    ]:
        out = camille.type(text)
        assert said in out, (text, out)
        assert "Rien n'a été enregistré." in out, (text, out)
    assert (count_rows(rt.session_factory, Opportunity), count_rows(rt.session_factory, OpportunityStageChange), count_rows(rt.session_factory, PendingCommand)) == (0, 0, 0)


def test_the_deal_form_reads_amounts_in_words(rt):  # noqa: F811 - the imported fixture
    camille = Terminal(rt, "U1")
    out = camille.type("/opp")
    out = camille.type(
        camille.number_of("Créer une affaire", out),
        "Gamma",  # account
        "Pilote",  # title
        "dix mille 3",  # amount: refused, asked again
        "",  # probability: the stage's
        "",  # stage: proposal
        "",  # close date
        "Douze mille euros",  # amount again, as a phone capitalises it
    )
    assert re.search(r"^  ! amount: ", out, flags=re.M)
    assert "Nouvelle affaire chez Gamma : Pilote." in out
    assert deals(rt) == [("U1", "Gamma", "Pilote", D("12000.00"), "EUR", 40, "proposal", "open", None)]
