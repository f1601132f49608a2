"""Learn a Slack user's name, time zone and language from ``users.info`` (first use only)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.services.members import Profile


class SlackProfiles:
    """A ``ProfileLookup`` backed by the Slack Web API; with ``tokens`` (bot/slack_install.py),
    ``for_team`` gives the lookup of one workspace, with that workspace's token."""

    def __init__(self, client: WebClient, *, tokens: Any = None) -> None:
        self.client = client
        self.tokens = tokens

    def for_team(self, team_id: str) -> "SlackProfiles | None":
        """The lookup for ``team_id``; None when Carnet holds no token for it."""
        if self.tokens is None:
            return self
        token = self.tokens.for_team(team_id)
        if token is None:
            return None
        if token == self.client.token:
            return self
        from bot.slack_install import client_with_token

        return SlackProfiles(client_with_token(self.client, token))

    def __call__(self, user_id: str) -> Profile | None:
        response = self.client.users_info(user=user_id, include_locale=True)
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        name = profile.get("display_name") or user.get("real_name") or profile.get("real_name") or user.get("name") or ""
        return Profile(display_name=name, tz=user.get("tz"), locale=user.get("locale"))


def user_exists(client: WebClient, user_id: str) -> bool:
    """True when Slack knows ``user_id`` (and it is not deactivated)."""
    from slack_sdk.errors import SlackApiError

    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as exc:
        if exc.response.get("error") in ("user_not_found", "user_not_visible"):
            return False
        raise
    return not user.get("deleted", False)
