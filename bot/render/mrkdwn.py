"""Cutting Slack mrkdwn safely: never inside an entity (``&amp;``, ``<@U1>``, ``<http…|…>``, an
``:emoji:`` code), at a word boundary when there is one, and with ``*``/``_``/``~`` closed at
the cut and opened again after it, so that a cut line still reads as it was written."""

from __future__ import annotations

import re

# The pieces a cut may fall between: entities and emoji codes whole, runs of blanks, words.
_ATOM = re.compile(r"<[^<>\n]*>|&(?:[A-Za-z]+|#\d+);|:[a-z0-9][a-z0-9_+\-']*:|\s+|[^\s<&:]+|.", re.S)
MARKERS = "*_~"
_PUNCTUATION = "([{«\"'“‘)]}».,;:!?”’…"
# A word's opening markers (after opening punctuation) and closing ones (before closing punctuation).
_EDGES = re.compile(r"^[(\[{«\"'“‘]*([*_~]*).*?([*_~]*)[)\]}».,;:!?\"'”’…]*$", re.S)
_RESERVE = 2 * len(MARKERS)  # room for the closing and reopening markers of one cut


def escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def atoms(text: str) -> list[str]:
    return _ATOM.findall(text)


def _is_word(atom: str) -> bool:
    if atom.isspace():
        return False
    if len(atom) > 1 and atom[0] in "<&":  # an entity: words never start with < or &
        return False
    return not (len(atom) > 2 and atom[0] == ":" and atom[-1] == ":")  # an emoji code


def _toggle(open_markers: list[str], marker: str) -> None:
    if marker in open_markers:
        open_markers.remove(marker)
    else:
        open_markers.append(marker)


def markers_after(open_markers: list[str], pieces: list[str]) -> list[str]:
    """Which of ``*``, ``_``, ``~`` are open after ``pieces``, starting with ``open_markers`` open.

    Slack reads a marker as formatting at the edge of a word (``*bold*``), not inside one
    (``snake_case``, ``A*B``); formatting never spans lines."""
    state = list(open_markers)
    for atom in pieces:
        if atom.isspace():
            if "\n" in atom:
                state.clear()
            continue
        if not _is_word(atom):
            continue
        edges = _EDGES.match(atom)
        opening, closing = edges.group(1), edges.group(2)
        if opening and closing and len(opening) + len(closing) > len(atom.strip(_PUNCTUATION)):
            closing = ""  # a word made of markers only ("**"): read once
        for marker in opening + closing:
            _toggle(state, marker)
    return state


def split(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, each readable on its own."""
    if len(text) <= limit:
        return [text]
    pieces = atoms(text)
    out: list[str] = []
    opened: list[str] = []
    i = 0
    while i < len(pieces):
        prefix = "".join(opened)
        budget = max(1, limit - len(prefix) - _RESERVE)
        j, size, last_blank = i, 0, None
        while j < len(pieces) and size + len(pieces[j]) <= budget:
            if pieces[j].isspace() and j > i:
                last_blank = j
            size += len(pieces[j])
            j += 1
        if j == len(pieces):
            end = next_start = j
        elif last_blank is not None:
            end, next_start = last_blank, last_blank + 1
        elif j > i:
            end = next_start = j
        elif pieces[i].startswith("<") and len(pieces[i]) > 1:  # a link longer than a chunk: its label
            label = pieces[i][1:-1].partition("|")[2]
            pieces[i] = escape_text(label) if label else "…"
            continue
        else:  # one piece longer than a whole chunk (a 3,000-letter word): cut inside it
            pieces[i : i + 1] = [pieces[i][:budget], pieces[i][budget:]]
            continue
        body_pieces = pieces[i:end]
        state = markers_after(opened, body_pieces)
        body = "".join(body_pieces)
        closing = "".join(reversed(state))
        if closing:
            body = body.rstrip()
        chunk = prefix + body + closing
        if chunk.strip():
            out.append(chunk)
        opened = state
        i = next_start
        while i < len(pieces) and pieces[i].isspace():
            if "\n" in pieces[i]:
                opened = []
            i += 1
    return out or [text[:limit]]


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` cut to ``limit`` characters at a safe place, ending with ``ellipsis`` when cut."""
    if len(text) <= limit:
        return text
    head = split(text, limit - len(ellipsis))[0]
    return head.rstrip() + ellipsis


def plain_truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Plain text (no mrkdwn) cut at ``limit`` characters, at a blank when one is near."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ellipsis)]
    blank = head.rfind(" ")
    if blank > limit // 2:
        head = head[:blank]
    return head.rstrip() + ellipsis
