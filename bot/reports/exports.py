"""The three tables a manager takes away — the activity report, the carnet commercial and the KPIs —
described once for ``carnet export``, ``carnet report kpis`` and ``/carnet export`` (CSV or Excel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Sequence

from sqlalchemy.orm import Session

from bot.messages import label, translate
from bot.reports.kpis import KPI_COLUMNS, KpiRow, kpi_rows_for
from bot.reports.money import Rates
from bot.reports.tables import Column, Table
from bot.services import workspace_settings
from bot.services.periods import PeriodChoice
from storage.models import Member, Workspace
from storage.queries import action_report, opportunity_report
from storage.queries.accounts import account_rows

EXPORTS = ("actions", "opportunities", "kpis")
ACTION_COLUMNS = (("date", "date"), ("rep", "text"), ("account", "text"), ("contact", "text"), ("function", "text"),
                  ("action", "text"), ("result", "text"), ("channel", "text"), ("note", "long_text"))
OPPORTUNITY_COLUMNS = (("created", "date"), ("rep", "text"), ("account", "text"), ("title", "text"),
                       ("amount", "money"), ("currency", "text"), ("probability", "whole_percent"),
                       ("weighted", "money"), ("stage", "text"), ("status", "text"), ("close_date", "date"),
                       ("next_step_date", "date"), ("closed", "date"), ("reason", "long_text"))
KPI_KINDS = {
    "rep": "text", "period_start": "date", "period_end": "date", "won_amount": "money", "average_won_amount": "money",
    "weighted_pipeline": "money", "objective_revenue": "money", "conversion_pct": "percent",
    "attainment_pct": "percent", "projected_pct": "percent", "coverage": "ratio", "forecast_brier": "score",
}


@dataclass(frozen=True)
class Selection:
    """Which rows an export takes: the days (of an action, or of a deal's creation) and the members
    (None: the whole workspace)."""

    since: date | None = None
    until: date | None = None
    member_ids: Sequence[int] | None = None


def actions_table(session: Session, workspace_ids: Sequence[int], locale: str, selection: Selection = Selection()) -> Table:
    """The activity report (one line an action, oldest first), labels in ``locale``."""
    columns = [Column(translate(locale, f"fact.{name}"), kind) for name, kind in ACTION_COLUMNS]
    reads = (action_report(session, w, **vars(selection)) for w in workspace_ids)
    rows = (
        [row.occurred_on, row.rep, row.account, row.contact or "", label(locale, "function", row.function),
         label(locale, "action_type", row.action_type), label(locale, "result", row.result),
         label(locale, "channel", row.channel), row.note or ""]
        for read in reads for row in read
    )
    return Table(translate(locale, "export.sheet.actions"), columns, rows)


def opportunities_table(
    session: Session, workspace_ids: Sequence[int], locale: str, selection: Selection = Selection()
) -> Table:
    """The carnet commercial (one line a deal, open first), amounts with their own currency."""
    columns = [Column(translate(locale, f"export.opp.{name}"), kind) for name, kind in OPPORTUNITY_COLUMNS]
    reads = (opportunity_report(session, w, **vars(selection)) for w in workspace_ids)
    rows = (
        [deal.created_on, deal.rep, deal.account, deal.title, deal.amount, deal.currency, deal.probability,
         deal.weighted_amount, label(locale, "stage", deal.stage), label(locale, "status", deal.status),
         deal.expected_close_on, deal.next_step_on, deal.closed_on, deal.close_reason or ""]
        for read in reads for deal in read
    )
    return Table(translate(locale, "export.sheet.opportunities"), columns, rows)


ACCOUNT_COLUMNS = (("name", "text"), ("status", "text"), ("segment", "text"), ("owner", "text"),
                   ("visits_per_year", "count"), ("city", "text"), ("postcode", "text"))


def accounts_table(session: Session, workspace_ids: Sequence[int], locale: str) -> Table:
    """Every account, by name, in the columns ``carnet accounts import`` reads back (owners by user id)."""
    columns = [Column(translate(locale, f"export.account.{name}"), kind) for name, kind in ACCOUNT_COLUMNS]
    rows = (
        [row.name, translate(locale, f"account.status.{row.status}"), row.segment or "", row.owner or "",
         row.visits_per_year, row.city or "", row.postcode or ""]
        for w in workspace_ids for row in account_rows(session, w)
    )
    return Table(translate(locale, "export.sheet.accounts"), columns, rows)


def kpis_table(rows: Sequence[KpiRow], currency: str) -> Table:
    """The KPI table: exactly ``KPI_COLUMNS``, amounts in the workspace's ``currency`` (an amount with
    a currency that has no rate is written per currency), percentages and ratios as numbers."""
    columns = [Column(name, KPI_KINDS.get(name, "count")) for name in KPI_COLUMNS]
    values = (
        [
            row.rep, row.period_start, row.period_end, row.actions, row.visits_done, row.visits_planned,
            row.opportunities_created, row.won_count, row.won_amount, row.lost_count, row.conversion,
            row.average_won_amount, row.weighted_pipeline, row.coverage, row.forecast_brier, row.objective_revenue,
            row.attainment, row.projected,
        ]
        for row in rows
    )
    return Table("kpis", columns, values, currency=currency)


def kpis_table_for(
    session: Session, workspace: Workspace, members: Sequence[Member], *, now: datetime, period: PeriodChoice
) -> Table:
    """The KPI table of ``members`` over ``period`` seen at ``now``, in the workspace's currency with its rates."""
    rates = Rates.of(workspace_settings.load(workspace))
    return kpis_table(kpi_rows_for(session, list(members), now=now, period=period, rates=rates), rates.currency)
