"""The Slack app manifest: paste it into "Create an app → From a manifest"."""

from __future__ import annotations

from typing import Any

SLASH_COMMANDS = [
    {
        "command": "/log",
        "description": "Log a sales action / Noter une action commerciale",
        "usage_hint": "visite Gamma proposition hier -- note",
    },
    {
        "command": "/opp",
        "description": "Record or update a deal / Noter ou mettre à jour une affaire",
        "usage_hint": "new Gamma \"Contrat maintenance\" 12k€ 30% close 15/12",
    },
    {
        "command": "/pipeline",
        "description": "My weighted pipeline / Mon pipeline pondéré",
        "usage_hint": "[@rep | team]",
        "should_escape": True,  # mentions arrive as <@U123|name>
    },
    {
        "command": "/plan",
        "description": "Plan a visit or a call / Prévoir une visite ou un appel",
        "usage_hint": "visite Beta mardi 10h",
    },
    {
        "command": "/relance",
        "description": "Plan a follow-up / Prévoir une relance",
        "usage_hint": "Gamma dans 3 jours",
    },
    {
        "command": "/carnet",
        "description": "Carnet help and settings / Aide et réglages",
        "usage_hint": "help | settings",
        "should_escape": True,  # channels arrive as <#C123|name>
    },
    {
        "command": "/compte",
        "description": "Account card / Fiche d'un compte",
        "usage_hint": "Gamma [segment gold | ville Lyon | modifier | fusionner A dans B]",
        "should_escape": True,  # owners arrive as <@U123|name>
    },
    {
        "command": "/account",
        "description": "Account card / Fiche d'un compte",
        "usage_hint": "Gamma [segment gold | city Lyon | edit | merge A into B]",
        "should_escape": True,  # owners arrive as <@U123|name>
    },
]

BOT_SCOPES = [
    "commands",  # slash commands
    "chat:write",  # confirmations, reminders, digests
    # Celebrations and period summaries in a public team channel the bot was not invited to
    # (else Slack answers not_in_channel). A private channel still needs /invite: the admin is told.
    "chat:write.public",
    "im:write",  # direct messages to reps and managers
    "users:read",  # learn a member's name and time zone on first use
    "files:write",  # the chart of the weekly digest
    # After a send whose answer was lost (timeout), the outbox looks for its own message (tagged
    # with message metadata) in the conversation's history since the first try, so that it is not
    # posted twice: the team channel (public or private) and the app's DMs.
    "channels:history",
    "groups:history",
    "im:history",
    # `carnet serve` checks that the bot is in the team channel (conversations.info) and says so.
    "channels:read",
    "groups:read",
]
# The app is removed, or its token revoked: Carnet stops sending there at once (bot/services/installs.py).
UNINSTALL_EVENTS = ["app_uninstalled", "tokens_revoked"]
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"  # Bolt's OAuth flow (bot/slack_install.py); "Add to Slack" is /slack/install


def build_manifest(*, public_url: str | None = None, socket_mode: bool = False, name: str = "Carnet") -> dict[str, Any]:
    """A manifest for HTTP mode (``public_url`` + ``/slack/events``) or Socket Mode."""
    if not socket_mode and not public_url:
        raise ValueError("HTTP mode needs the public URL of `carnet serve` (or use --socket-mode)")
    events_url = f"{public_url.rstrip('/')}/slack/events" if public_url else None
    commands = []
    for command in SLASH_COMMANDS:
        entry = {"should_escape": False, **command}
        if events_url and not socket_mode:
            entry["url"] = events_url
        commands.append(entry)
    interactivity: dict[str, Any] = {"is_enabled": True}
    settings: dict[str, Any] = {
        "interactivity": interactivity,
        "org_deploy_enabled": False,
        "socket_mode_enabled": socket_mode,
        "token_rotation_enabled": False,
    }
    # message.im: what a member writes in the app's Messages tab (read with the im:history scope)
    # user_change: a member changed their language or time zone in Slack (users:read)
    event_subscriptions: dict[str, Any] = {"bot_events": ["app_home_opened", "message.im", "user_change", *UNINSTALL_EVENTS]}
    if events_url and not socket_mode:
        interactivity["request_url"] = events_url
        interactivity["message_menu_options_url"] = events_url  # account type-ahead
        event_subscriptions["request_url"] = events_url
    settings["event_subscriptions"] = event_subscriptions
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Your sales notebook in Slack / Votre carnet commercial dans Slack",
            "background_color": "#1d3557",
            "long_description": (
                "Carnet keeps a field sales team's activity report and pipeline up to date from Slack "
                "in a few words (/log visite Gamma proposition), reminds reps of planned visits and "
                "follow-ups, and gives managers digests and early warnings. Works in French and English."
            ),
        },
        "features": {
            "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True, "messages_tab_read_only_enabled": False},
            "bot_user": {"display_name": name.lower(), "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": _oauth_config(public_url, socket_mode),
        "settings": settings,
    }


def _oauth_config(public_url: str | None, socket_mode: bool) -> dict[str, Any]:
    """The bot scopes; in HTTP mode also the redirect URL of the OAuth install (several workspaces)."""
    config: dict[str, Any] = {"scopes": {"bot": list(BOT_SCOPES)}}
    if public_url and not socket_mode:
        config["redirect_urls"] = [f"{public_url.rstrip('/')}{OAUTH_REDIRECT_PATH}"]
    return config
