"""Per-workspace settings, kept as JSON on the workspace row, with typed defaults here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import Any

from bot.services.stages import STAGES
from storage.models import Workspace
from storage.queries.drift import DriftRules

DEFAULT_STAGE_PROBABILITIES = {
    "lead": 10,
    "qualification": 20,
    "proposal": 40,
    "negotiation": 60,
    "closing": 80,
    "won": 100,
    "lost": 0,
}

DEFAULT_VISIT_CAPITAL = {"gold": 12, "silver": 6, "bronze": 2}
OLD_DEFAULT_RHYTHM = {"gold": 4, "silver": 6}  # stored by every save before the capital: not a choice
DEFAULT_CHANNEL_WEIGHTS = {"in_person": 1.0, "video": 0.7, "phone": 0.5, "email": 0.2, "social": 0.2}


@dataclass(frozen=True)
class WorkspaceSettings:
    """What a workspace admin may change; everything has a sensible default."""

    stage_probabilities: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_STAGE_PROBABILITIES))
    stalled_after_days: int = 21  # a deal with no action and no stage change for this long is stalled
    team_channel: str | None = None  # where wins are celebrated
    celebrate_amounts: bool = True  # show the amount in the celebration
    currency: str = "EUR"  # for amounts typed without a currency
    relance_after_days: int = 7  # a proposal (or "to follow up") plans a relance this many days later
    documentation_relance_days: int = 3  # "send documentation" plans a relance sooner
    agenda_time: str = "08:30"  # the morning agenda, in each member's own time zone, on workdays
    visit_reminder_minutes: int = 60  # a timed visit is reminded this long before
    digest_time: str = "08:00"  # the weekly digest, Mondays, in each manager's time zone
    review_workdays_before: int = 3  # (before per-period lead times) stored alone, it applies to every period
    # The review pack, this many workdays before a rep's period ends, per kind of period.
    review_lead_workdays: dict[str, int] = field(default_factory=lambda: {"week": 2, "month": 5, "quarter": 10})
    summary_time: str = "17:00"  # the team's period summary, on the last day of the manager's period
    individual_weight: int = 70  # individual vs collective part of the objectives (percent)
    # The early warning (issue 14): a rep whose projected revenue attainment is under
    # ``warning_below_pct`` once ``warning_after_pct`` of their period has passed is told, privately.
    warning_below_pct: int = 80
    warning_after_pct: int = 50
    # currency → what one unit of it is worth in ``currency`` ("0.92" for USD in a EUR workspace),
    # kept as text so that JSON stores the exact decimal the admin typed
    exchange_rates: dict[str, str] = field(default_factory=dict)
    # The visit capital (issue 15): visits a year per account by segment, the prospection budget of a
    # rep (visits a year at prospects), the weight of each contact channel in the commercial
    # intensity, and how many visits a tour plans a day.
    visit_capital: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_VISIT_CAPITAL))
    prospection_visits_per_year: int = 24
    channel_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_CHANNEL_WEIGHTS))
    tour_visits_per_day: int = 4
    # Clients kept (issue 15 C): the drift thresholds, see storage/queries/drift.py.
    drift_gap_times: int = 2  # silent for this many usual gaps …
    drift_silence_days: int = 30  # … and this many days at least
    drift_orders_drop_pct: int = 50  # orders fell by this much against the earlier rate
    drift_lost_days: int = 14  # a lost deal left this long without follow-up

    @property
    def agenda_hour_minute(self) -> tuple[int, int]:
        return clock_time(self.agenda_time)

    @property
    def collective_weight(self) -> int:
        return 100 - self.individual_weight

    @property
    def rates(self) -> dict[str, Decimal]:
        """currency → its rate into ``currency``, as decimals (the workspace's own currency has none)."""
        return {code: Decimal(value) for code, value in self.exchange_rates.items() if code != self.currency}

    def review_lead(self, period: str) -> int:
        """Workdays before the end of a ``period`` (week, month, quarter) the review pack is due."""
        return int(self.review_lead_workdays.get(period, self.review_workdays_before))

    def probability_of(self, stage: str) -> int:
        return int(self.stage_probabilities.get(stage, DEFAULT_STAGE_PROBABILITIES.get(stage, 0)))


def clock_time(text: str) -> tuple[int, int]:
    """"08:30" → (8, 30)."""
    hour, _, minute = text.partition(":")
    return int(hour), int(minute or 0)


def load(workspace: Workspace) -> WorkspaceSettings:
    """The workspace's settings over the defaults (unknown keys are ignored)."""
    stored: dict[str, Any] = dict(workspace.settings or {})
    base = WorkspaceSettings()
    probabilities = dict(base.stage_probabilities)
    probabilities.update({k: int(v) for k, v in (stored.get("stage_probabilities") or {}).items() if k in STAGES})
    return replace(
        base,
        stage_probabilities=probabilities,
        stalled_after_days=int(stored.get("stalled_after_days", base.stalled_after_days)),
        team_channel=stored.get("team_channel", base.team_channel),
        celebrate_amounts=bool(stored.get("celebrate_amounts", base.celebrate_amounts)),
        currency=str(stored.get("currency", base.currency)),
        relance_after_days=int(stored.get("relance_after_days", base.relance_after_days)),
        documentation_relance_days=int(stored.get("documentation_relance_days", base.documentation_relance_days)),
        agenda_time=str(stored.get("agenda_time", base.agenda_time)),
        visit_reminder_minutes=int(stored.get("visit_reminder_minutes", base.visit_reminder_minutes)),
        digest_time=str(stored.get("digest_time", base.digest_time)),
        review_workdays_before=int(stored.get("review_workdays_before", base.review_workdays_before)),
        review_lead_workdays=_review_lead(stored, base),
        summary_time=str(stored.get("summary_time", base.summary_time)),
        individual_weight=int(stored.get("individual_weight", base.individual_weight)),
        warning_below_pct=int(stored.get("warning_below_pct", base.warning_below_pct)),
        warning_after_pct=int(stored.get("warning_after_pct", base.warning_after_pct)),
        exchange_rates={str(k): str(v) for k, v in (stored.get("exchange_rates") or {}).items() if _positive_decimal(v)},
        **_capital_settings(stored, base),
        **_drift(stored, base),
    )


def _capital_settings(stored: dict[str, Any], base: WorkspaceSettings) -> dict[str, Any]:
    """The visit capital's settings over the defaults. A workspace that stored only the older rhythm
    (``segment_visit_months``: a visit every N months) keeps its meaning: 12 / N visits a year."""
    capital = dict(base.visit_capital)
    older = stored.get("segment_visit_months")
    if "visit_capital" not in stored and older and older != OLD_DEFAULT_RHYTHM:
        # the older rhythm replaced the defaults wholly: a segment it did not name had no visits
        capital = {segment: 0 for segment in capital}
        capital.update({str(k): max(1, round(12 / int(v))) for k, v in older.items() if int(v) > 0})
    capital.update({str(k): int(v) for k, v in (stored.get("visit_capital") or {}).items() if int(v) >= 0})
    weights = dict(base.channel_weights)
    weights.update({str(k): float(v) for k, v in (stored.get("channel_weights") or {}).items() if 0 <= float(v) <= 10})
    return dict(
        visit_capital=capital,
        prospection_visits_per_year=int(stored.get("prospection_visits_per_year", base.prospection_visits_per_year)),
        channel_weights=weights,
        tour_visits_per_day=int(stored.get("tour_visits_per_day", base.tour_visits_per_day)),
    )


# --------------------------------------------------------------------------- clients kept (drift)

DRIFT_SETTINGS = {  # the word of ``/carnet settings drift <word> N`` → (field, lowest, highest)
    "gap": ("drift_gap_times", 2, 10),
    "silence": ("drift_silence_days", 7, 365),
    "orders": ("drift_orders_drop_pct", 10, 90),
    "lost": ("drift_lost_days", 1, 180),
}


def _drift(stored: dict[str, Any], base: WorkspaceSettings) -> dict[str, int]:
    return {name: int(stored.get(name, getattr(base, name))) for name, _low, _high in DRIFT_SETTINGS.values()}


def drift_rules(settings: WorkspaceSettings) -> DriftRules:
    """The drift thresholds of the workspace, as the drift queries take them."""
    return DriftRules(
        gap_times=settings.drift_gap_times,
        silence_days=settings.drift_silence_days,
        orders_drop_pct=settings.drift_orders_drop_pct,
        lost_days=settings.drift_lost_days,
    )


def _positive_decimal(value: object) -> bool:
    try:
        return Decimal(str(value)) > 0
    except ArithmeticError:
        return False


def with_rate(settings: WorkspaceSettings, currency: str, rate: Decimal | None) -> WorkspaceSettings:
    """``settings`` where one ``currency`` is worth ``rate`` of the workspace's currency (None: no rate)."""
    rates = dict(settings.exchange_rates)
    if rate is None:
        rates.pop(currency, None)
    else:
        rates[currency] = format(rate, "f")
    return replace(settings, exchange_rates=rates)


def with_currency(settings: WorkspaceSettings, currency: str) -> tuple[WorkspaceSettings, bool]:
    """``settings`` in another workspace currency, the rates re-based on it when the new currency had
    a rate (1 USD = 0.92 EUR, then the workspace turns to USD: 1 EUR = 1/0.92 USD, GBP by its EUR rate
    / 0.92); otherwise the rates are forgotten (they said what a currency is worth in the old one).
    Returns the new settings and whether the rates were kept."""
    if currency == settings.currency:
        return settings, True
    old = settings.rates
    pivot = old.get(currency)
    if pivot is None:
        return replace(settings, currency=currency, exchange_rates={}), not old
    rebased = {code: _rate_text(rate / pivot) for code, rate in old.items() if code != currency}
    rebased[settings.currency] = _rate_text(Decimal(1) / pivot)
    return replace(settings, currency=currency, exchange_rates=rebased), True


def _rate_text(rate: Decimal) -> str:
    """A rate to six significant decimals, as text (enough for any pair of real currencies)."""
    return format(rate.quantize(Decimal("0.000001")).normalize(), "f")

def _review_lead(stored: dict[str, Any], base: WorkspaceSettings) -> dict[str, int]:
    """Per-period lead times of the review pack: stored ones over the defaults; a workspace that
    stored only the older single ``review_workdays_before`` keeps it for every period."""
    if "review_lead_workdays" not in stored and "review_workdays_before" in stored:
        return {period: int(stored["review_workdays_before"]) for period in base.review_lead_workdays}
    lead = dict(base.review_lead_workdays)
    lead.update({str(k): int(v) for k, v in (stored.get("review_lead_workdays") or {}).items() if int(v) >= 0})
    return lead


def save(workspace: Workspace, settings: WorkspaceSettings) -> None:
    workspace.settings = asdict(settings)  # a new dict, so SQLAlchemy sees the change
