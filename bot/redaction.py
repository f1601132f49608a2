"""Secrets never reach a log line or a stored error: the configured ones (signing secret, bot and
app tokens, client secret, the database password) and anything shaped like a Slack token or an
incoming-webhook URL are replaced by ``[redacted]``.

``install`` puts a log record factory in front of the logging module, so every record of every
library is cleaned once, when it is made (a handler's filter would miss handlers added later, a
logger's filter the records of other loggers). ``redact`` cleans any other text (an outbox error).
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from typing import Any, Iterable

REDACTED = "[redacted]"
# xoxb- (bot), xoxp- (user), xoxa-/xoxr-/xoxe- (rotation), xoxs-, xapp- (Socket Mode), webhooks.
TOKEN_SHAPES = re.compile(
    r"\bxox[abeoprs](?:\.[A-Za-z0-9_-]+)?-[A-Za-z0-9-]+"
    r"|\bxapp-[A-Za-z0-9-]+"
    r"|https?://hooks\.slack\.com/[A-Za-z0-9/_-]+"
)
MIN_SECRET_LENGTH = 6  # shorter values would blank out ordinary words

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()
_everything = TOKEN_SHAPES  # the secrets (longest first) and the shapes, in one pattern: one pass a text
_installed = False


def remember(values: Iterable[str | None]) -> None:
    """Add configured secret values to those redacted everywhere (longest first, empty ones ignored)."""
    global _secrets, _everything
    with _lock:
        known = set(_secrets) | {v for v in values if v and len(v) >= MIN_SECRET_LENGTH}
        _secrets = tuple(sorted(known, key=len, reverse=True))
        # A secret runs on to the end of its word: a shorter configured value that begins a longer
        # token ("xapp-1" in "xapp-1-A0…") must not leave the token's tail in the clear.
        _everything = re.compile("|".join([*(re.escape(s) + r"[A-Za-z0-9_-]*" for s in _secrets), TOKEN_SHAPES.pattern]))


def redact(text: str) -> str:
    """``text`` with every known secret and token-shaped word replaced by ``[redacted]``."""
    return _everything.sub(REDACTED, text)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _everything.sub(REDACTED, value)
    if value is None or isinstance(value, (int, float)):
        return value
    shown = str(value)
    cleaned = redact(shown)
    return value if cleaned == shown else cleaned  # an object's own str() is kept unless it holds a secret


def scrub(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a record in place: message, arguments (their shape kept), traceback and stack."""
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    elif record.msg is not None:
        record.msg = _clean(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_clean(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _clean(v) for k, v in record.args.items()}
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        # Formatted now (as logging.Formatter would): the exception's text may hold a secret.
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def install(values: Iterable[str | None] = ()) -> None:
    """Redact ``values`` (and token shapes) in every log record from now on; safe to call again."""
    global _installed
    remember(values)
    with _lock:
        if _installed:
            return
        make_record = logging.getLogRecordFactory()

        def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return scrub(make_record(*args, **kwargs))

        logging.setLogRecordFactory(redacting_factory)
        _installed = True
