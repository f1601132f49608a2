"""Carnet in several workspaces: OAuth v2 through slack-bolt, slack-sdk's installation and state
stores in Carnet's own database, and the bot token of each workspace for whoever calls Slack
(Bolt's requests, the outbox delivery, users.info, the team import).

The single-token mode (``SLACK_BOT_TOKEN``, self-hosting) stays: ``WorkspaceTokens`` then gives
that token to every workspace Carnet has not seen uninstalled.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.manifest import BOT_SCOPES
from bot.services import installs, workspace_settings
from bot.settings import Settings
from storage.models import Workspace

logger = logging.getLogger(__name__)

STATE_SECONDS = 600  # an "Add to Slack" click must come back within 10 minutes


class SignedStateStore(SQLAlchemyOAuthStateStore):
    """slack-sdk's state store, each state also signed with the state secret: a state Carnet did
    not issue is refused before the database is read."""

    def __init__(self, secret: str, engine: Engine, expiration_seconds: int = STATE_SECONDS) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine)
        self._secret = secret.encode()

    def _sign(self, state: str) -> str:
        return hmac.new(self._secret, state.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, *args, **kwargs) -> str:
        state = super().issue(*args, **kwargs)
        return f"{state}.{self._sign(state)}"

    def consume(self, state: str) -> bool:
        raw, _, signature = state.rpartition(".")
        if not raw or not hmac.compare_digest(signature, self._sign(raw)):
            logger.warning("OAuth callback with a state Carnet did not sign: refused")
            return False
        return super().consume(raw)


class CarnetInstallationStore(SQLAlchemyInstallationStore):
    """slack-sdk's store (tables of migration 0013, never created here); an install also creates
    the workspace, or brings it back from an uninstall with its data."""

    def __init__(self, client_id: str, engine: Engine, session_factory: sessionmaker[Session], clock: Clock) -> None:
        super().__init__(client_id=client_id, engine=engine)
        self._sessions = session_factory
        self._clock = clock

    def save(self, installation: Installation) -> None:
        super().save(installation)
        if installation.team_id:
            with self._sessions() as session, session.begin():
                installs.mark_installed(session, installation.team_id, installation.team_name or "", now=self._clock.now())
            logger.info("Carnet installed in workspace %s (%s)", installation.team_id, installation.team_name)


def oauth_settings(settings: Settings, store: CarnetInstallationStore, engine: Engine) -> OAuthSettings:
    """Bolt's OAuth flow: GET /slack/install ("Add to Slack") and /slack/oauth_redirect."""
    assert settings.slack_client_id and settings.slack_client_secret and settings.slack_state_secret
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        installation_store=store,
        installation_store_bot_only=True,
        state_store=SignedStateStore(settings.slack_state_secret, engine),
        state_expiration_seconds=STATE_SECONDS,
    )


def authorize(settings: Settings, store: CarnetInstallationStore) -> InstallationStoreAuthorize:
    """Each request's token from the store; auth.test once per token (cached), not once per request
    (an extra round trip before every ack). An uninstalled workspace has no token left: refused."""
    return InstallationStoreAuthorize(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        installation_store=store,
        bot_only=True,
        cache_enabled=True,
        logger=logger,
    )


@dataclass
class WorkspaceTokens:
    """The bot token to use for a workspace: its installation's (OAuth) or the one token; None once
    the workspace is uninstalled (nothing may be sent there any more)."""

    session_factory: sessionmaker[Session]
    store: SQLAlchemyInstallationStore | None = None
    single_token: str | None = None

    def for_workspace(self, workspace_id: int) -> str | None:
        with self.session_factory() as session:
            row = session.execute(
                select(Workspace.team_id, Workspace.uninstalled_at).where(Workspace.id == workspace_id)
            ).first()
        if row is None or row.uninstalled_at is not None:
            return None
        return self.for_team(row.team_id)

    def for_team(self, team_id: str) -> str | None:
        if self.store is None:
            return self.single_token
        bot = self.store.find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot is not None else None


def client_with_token(client: WebClient, token: str | None) -> WebClient:
    """``client``'s settings (base URL, timeout, retry handlers) with another token."""
    return WebClient(
        token=token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl, proxy=client.proxy,
        headers=dict(client.headers or {}), retry_handlers=list(client.retry_handlers),
    )


class StartupError(RuntimeError):
    """`carnet serve` cannot start: the message is the one line to show."""


@dataclass(frozen=True)
class BotIdentity:
    team_id: str
    team: str
    user_id: str


def check_bot_token(client: WebClient) -> BotIdentity:
    """auth.test with the one bot token; a wrong or revoked token is a clear line, not a traceback."""
    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
        hints = {
            "invalid_auth": "it is not a valid token (copy the Bot User OAuth Token, xoxb-…)",
            "not_authed": "no token was sent",
            "token_revoked": "it was revoked (the app was removed or reinstalled: copy the new token)",
            "account_inactive": "the app's workspace or bot user was deactivated",
        }
        raise StartupError(f"Slack refused SLACK_BOT_TOKEN: {error} — {hints.get(error, 'check the token')}") from exc
    except OSError as exc:
        raise StartupError(f"Slack could not be reached to check SLACK_BOT_TOKEN ({exc})") from exc
    return BotIdentity(answer.get("team_id") or "", answer.get("team") or "", answer.get("user_id") or "")


def check_app_token(client: WebClient, app_token: str) -> None:
    """apps.connections.open with SLACK_APP_TOKEN (what Socket Mode does first), read as one line."""
    try:
        client_with_token(client, app_token).apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
        hints = {
            "invalid_auth": "it is not a valid app-level token (Basic Information → App-Level Tokens, xapp-…)",
            "not_allowed_token_type": "it is not an app-level token (xapp-…); a bot token (xoxb-) goes in SLACK_BOT_TOKEN",
            "missing_scope": "the app-level token needs the connections:write scope",
        }
        raise StartupError(f"Slack refused SLACK_APP_TOKEN for Socket Mode: {error} — {hints.get(error, 'check the token')}") from exc
    except OSError as exc:
        raise StartupError(f"Slack could not be reached to open a Socket Mode connection ({exc})") from exc


def check_team_channel(client: WebClient, channel: str) -> str | None:
    """A line for the admin when the bot is not in the team channel (celebrations would fail); None
    when it is, or when Slack cannot say."""
    try:
        info = client.conversations_info(channel=channel).get("channel") or {}
    except SlackApiError as exc:
        if exc.response.get("error") == "channel_not_found":
            return f"the team channel {channel} is private or gone: invite the bot (/invite @carnet) or choose another"
        return None
    except OSError:
        return None
    if info.get("is_member"):
        return None
    if info.get("is_private"):
        return f"the bot is not in the private team channel {channel}: invite it (/invite @carnet)"
    return None  # public: chat:write.public posts without an invitation


def startup_checks(settings: Settings, client: WebClient, session_factory: sessionmaker[Session], clock: Clock) -> list[str]:
    """What `carnet serve` checks before it listens: the bot token (auth.test: a wrong one stops
    it with one clear line) and Socket Mode's app token; returns the lines to warn the admin with
    (the bot is not in the team channel). With OAuth, each workspace's token is checked by Bolt
    as its requests come."""
    warnings: list[str] = []
    if settings.slack_app_token:
        check_app_token(client, settings.slack_app_token)
    if settings.oauth or not settings.slack_bot_token:
        return warnings
    identity = check_bot_token(client_with_token(client, settings.slack_bot_token))
    logger.info("Slack token of workspace %s (%s), bot user %s", identity.team_id, identity.team, identity.user_id)
    with session_factory() as session, session.begin():
        # A new token after an uninstall: the workspace is back (its data, if still kept, with it).
        workspace = installs.mark_installed(session, identity.team_id, identity.team, now=clock.now())
        channel = workspace_settings.load(workspace).team_channel
    if channel:
        problem = check_team_channel(client_with_token(client, settings.slack_bot_token), channel)
        if problem:
            warnings.append(problem)
    return warnings

