"""The files that go with replies (``bot.core.Attachment``): what an outbox "file" row keeps of
one, and its bytes when it is sent.

A row keeps either the bytes themselves (``content_b64``: a text, a CSV, a full copy) or, for a
chart, the plain data it is drawn from (``digest_chart``: the digest's attainment and pipeline,
drawn by ``bot/render/charts.py``). A chart is drawn only by ``content``, which the delivery
worker calls when it sends the row: drawing takes a third of a second or more, and a Monday
morning queues one per manager, so it never happens in the scheduler's tick.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from bot.core import Attachment

# What a spreadsheet reads as the start of a formula (OWASP's CSV-injection rule): the exports write
# such a cell behind a quote, and the imports take the quote off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CHART_FIELD = "digest_chart"  # what stored chart rows have always called their data


class FileError(ValueError):
    """A stored file that cannot be made into bytes (it will not read better next time)."""


def stored(attachment: Attachment) -> dict[str, Any]:
    """The fields a "file" row keeps to make ``attachment`` again: a chart's data, or the bytes."""
    if attachment.kind == "chart":
        return {CHART_FIELD: attachment.data}
    if attachment.kind in ("text", "csv"):
        return {"content_b64": base64.b64encode(str(attachment.data).encode("utf-8")).decode("ascii")}
    if attachment.kind == "xlsx":  # a workbook's bytes, already base64 (a Reply is plain JSON-ready data)
        return {"content_b64": str(attachment.data)}
    raise ValueError(f"unknown attachment kind {attachment.kind!r}")


def alt_text(payload: dict[str, Any]) -> str | None:
    """The description of a stored chart for those who cannot see it (Slack's ``alt_txt``), if it has one."""
    chart = payload.get(CHART_FIELD)
    alt = chart.get("alt") if isinstance(chart, dict) else None
    return str(alt)[:1000] if alt else None


def content(payload: dict[str, Any]) -> bytes:
    """The bytes of a stored file: the chart drawn from its data, or the bytes kept; FileError when
    there are none to send."""
    if CHART_FIELD in payload:
        from bot.render.charts import cockpit_chart, digest_chart_from_data  # matplotlib: loaded on the first chart

        chart = payload[CHART_FIELD]
        try:
            # a cockpit chart names itself ("chart": attainment | trend | funnel | activity_mix)
            data = cockpit_chart(chart) if isinstance(chart, dict) and "chart" in chart else digest_chart_from_data(chart)
        except (KeyError, TypeError, ValueError) as exc:
            raise FileError(f"file payload: not a digest chart ({exc.__class__.__name__})") from exc
    else:
        try:
            data = base64.b64decode(payload.get("content_b64") or "", validate=True)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise FileError("file payload: content_b64 is not base64") from exc
    if not data:
        raise FileError("file payload: empty content")
    return data


def bytes_of(attachment: Attachment) -> bytes:
    """The bytes of ``attachment`` (a chart drawn now): what a door writes where no outbox is needed."""
    return content(stored(attachment))
