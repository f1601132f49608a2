"""Words of dates and times, in French and English, and a clock reader for time fields.

:func:`read_clock` reads the time typed in a form field ("10", "10h", "10h30", "10:30").
"""

from __future__ import annotations

import re
from datetime import time

# A form's time field: "10", "10h", "10 h 30", "10:30", "10.30", "10H".
_FIELD_CLOCK = re.compile(r"\s*(\d{1,2})\s*(?:[h:.]\s*(\d{2})?)?\s*", re.IGNORECASE)


def read_clock(text: str) -> time | None:
    """The time typed in a time field ("10", "10h", "10h30", "10:30", "10.30"); None otherwise."""
    match = _FIELD_CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2] or 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None
