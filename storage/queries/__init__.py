"""Reads that dialogs, reports, services and exports share, one module per domain.

- ``export``: the activity and deals tables that ``carnet export`` streams;
- ``activity``: a member's actions;
- ``deals``: a member's opportunities;
- ``plans``: a member's planned items;
- ``members``: the people of a workspace;
- ``pending``: commands waiting for a member's choice.

Every function takes the session and answers plain rows or models; none decides anything.
"""

from storage.queries.export import (
    ActionReportRow,
    OpportunityReportRow,
    action_report,
    count_actions,
    opportunity_report,
    workspaces,
)

__all__ = [
    "ActionReportRow",
    "OpportunityReportRow",
    "action_report",
    "count_actions",
    "opportunity_report",
    "workspaces",
]
