"""Environment → one typed settings object, read once at the edge (CLI, tests)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
SUPPORTED_LOCALES = ("fr", "en")


class SettingsError(ValueError):
    """A configuration value cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    """Everything Carnet reads from its environment."""

    database_url: str
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    default_tz: str = "Europe/Paris"
    default_locale: str = "fr"
    # The outbox delivery (carnet worker, the embedded worker): how long a claim lasts before another
    # worker may take the row (CARNET_CLAIM_LEASE_SECONDS; the heartbeat extends it while a worker lives).
    claim_lease_seconds: int = 60
    # OAuth v2, several workspaces (bot/slack_install.py); all three or none.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_state_secret: str | None = None
    retention_days: int = 30  # an uninstalled workspace's data is erased after this many days

    @property
    def oauth(self) -> bool:
        """True when Carnet installs itself in workspaces (OAuth) rather than using one bot token."""
        return self.slack_client_id is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, cwd: Path | None = None) -> "Settings":
        """Read the settings from ``env`` (default: ``os.environ``), validating each value."""
        env = os.environ if env is None else env
        cwd = cwd or Path.cwd()
        database_url = env.get("DATABASE_URL") or f"sqlite:///{cwd / 'carnet.db'}"
        default_tz = env.get("CARNET_DEFAULT_TZ") or "Europe/Paris"
        try:
            ZoneInfo(default_tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"CARNET_DEFAULT_TZ={default_tz!r} is not a time zone name (e.g. Europe/Paris)") from exc
        default_locale = (env.get("CARNET_DEFAULT_LOCALE") or "fr").lower()[:2]
        if default_locale not in SUPPORTED_LOCALES:
            raise SettingsError(f"CARNET_DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}")
        api_url = env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
        if not api_url.endswith("/"):
            api_url += "/"  # slack_sdk appends the method name to the base URL
        claim_lease_seconds = _claim_lease_seconds(env)
        return cls(
            database_url=database_url,
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_api_url=api_url,
            default_tz=default_tz,
            default_locale=default_locale,
            claim_lease_seconds=claim_lease_seconds,
            **_oauth_settings(env),
        )


def _claim_lease_seconds(env: Mapping[str, str]) -> int:
    """CARNET_CLAIM_LEASE_SECONDS: 60 by default; at least 4, so that the heartbeat (every quarter
    of it) keeps a live worker's rows. Shorter means a killed worker's rows are sent sooner."""
    raw = (env.get("CARNET_CLAIM_LEASE_SECONDS") or "").strip()
    if not raw:
        return 60
    if not raw.isdigit() or not 4 <= int(raw) <= 3600:
        raise SettingsError(f"CARNET_CLAIM_LEASE_SECONDS={raw!r} must be a number of seconds from 4 to 3600")
    return int(raw)


def _oauth_settings(env: Mapping[str, str]) -> dict[str, object]:
    """SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET (together) and CARNET_RETENTION_DAYS."""
    names = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET")
    values = {name: env.get(name) or None for name in names}
    given = [name for name in names if values[name]]
    if given and len(given) < len(names):
        missing = ", ".join(name for name in names if not values[name])
        raise SettingsError(f"OAuth needs {', '.join(names)} together; {missing} is not set")
    retention = env.get("CARNET_RETENTION_DAYS") or "30"
    if not retention.isdigit() or int(retention) < 1:
        raise SettingsError(f"CARNET_RETENTION_DAYS={retention!r} must be a whole number of days, 1 or more")
    return {
        "slack_client_id": values["SLACK_CLIENT_ID"],
        "slack_client_secret": values["SLACK_CLIENT_SECRET"],
        "slack_state_secret": values["SLACK_STATE_SECRET"],
        "retention_days": int(retention),
    }
