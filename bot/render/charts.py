"""The charts of the weekly digest, drawn with matplotlib as PNG bytes.

* ``attainment_chart``: one horizontal bar per rep, attainment ratio (1.0 = 100 %), a line at
  100 %, reps without an objective drawn as an empty hatched bar labelled "no objective".
  At most ``MAX_BARS`` reps (the best first); the title then says "+N more".
* ``pipeline_chart``: per stage, the raw amount and the weighted amount side by side.
* ``digest_chart``: both in one image, what the digest uploads (outbox kind ``"file"``).

Numbers are written by Babel in the reader's locale (``85 %``, ``12 000 €``): the
formatters are public (``percent_label``, ``money_label``) so tests check the words, not pixels.

No global state is touched: no pyplot (no figure registry left open), no ``matplotlib.use``,
no rcParams change; each chart is a ``matplotlib.figure.Figure`` printed by its own Agg
canvas. Output is deterministic: fixed size and dpi, no ``Software``/date metadata, no
``bbox_inches="tight"``. matplotlib's font objects are shared and not thread-safe, so
drawing is serialised by a module lock (a chart takes tens of milliseconds).
"""

from __future__ import annotations

import io
import math
import textwrap
import threading
import unicodedata
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from babel.numbers import format_decimal
from babel.numbers import format_percent as _babel_percent
from typing import TYPE_CHECKING

from bot.messages import format_money, normalize_locale

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


# matplotlib is imported when a chart is drawn, not with this module: the data builders run where
# reports are built (a review pack, a digest), and importing matplotlib costs some 0.5 s of CPU.
def MaxNLocator(*args, **kwargs):  # noqa: N802  (matplotlib's name)
    from matplotlib.ticker import MaxNLocator as locator

    return locator(*args, **kwargs)


def FuncFormatter(*args, **kwargs):  # noqa: N802  (matplotlib's name)
    from matplotlib.ticker import FuncFormatter as formatter

    return formatter(*args, **kwargs)

__all__ = [
    "COCKPIT_SIZE",
    "DIGEST_SIZE",
    "activity_mix_data",
    "attainment_data",
    "cockpit_chart",
    "funnel_data",
    "trend_data",
    "DPI",
    "MAX_BARS",
    "SINGLE_SIZE",
    "attainment_chart",
    "attainment_rows",
    "attainment_title",
    "chart_words",
    "digest_chart",
    "money_label",
    "percent_label",
    "pipeline_chart",
]

MAX_BARS = 30  # reps shown in the attainment chart; the others are counted in the title
DPI = 100
SINGLE_SIZE = (800, 600)  # pixels of attainment_chart / pipeline_chart
DIGEST_SIZE = (1600, 600)  # pixels of digest_chart
DISPLAY_CAP = 3.0  # bars longer than 300 % are drawn at 300 % (their label keeps the true value)
NAME_CHARS = 26
STAGE_CHARS = 14

# The few words the charts draw themselves (titles come from the caller, already translated).
_WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "more": "+{n} autres",
        "no_objective": "pas d'objectif",
        "no_data": "Pas encore de données",
        "raw": "Montant",
        "weighted": "Pondéré",
    },
    "en": {
        "more": "+{n} more",
        "no_objective": "no objective",
        "no_data": "No data yet",
        "raw": "Amount",
        "weighted": "Weighted",
    },
}

_RENDER_LOCK = threading.Lock()

_BAR = "#4C72B0"
_BAR_DONE = "#2A9D8F"  # reached the objective
_WEIGHTED = "#E9A03B"
_MUTED = "#8A8F98"
_GRID = "#E3E5E8"
_TEXT = "#23262B"
_DROP = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"}  # emoji joiners and selectors


# ---------------------------------------------------------------------------- words


def chart_words(locale: str) -> dict[str, str]:
    """The chart's own words in ``locale`` (French or English)."""
    return _WORDS[normalize_locale(locale)]


def percent_label(ratio: float, locale: str) -> str:
    """An attainment ratio as a percentage: ``0.85`` → ``85 %`` (fr, no-break space) / ``85%`` (en)."""
    return _babel_percent(ratio, locale=normalize_locale(locale))


def money_label(amount: float | Decimal, locale: str, currency: str) -> str:
    """A whole amount as an axis label: ``12 000 €`` (fr) / ``€12,000`` (en)."""
    value = Decimal(round(float(amount)))
    return format_money(locale, value, currency)


def attainment_title(title: str, hidden: int, locale: str) -> str:
    """The attainment chart's title, with ``(+N more)`` when reps were left out."""
    if hidden <= 0:
        return title
    count = format_decimal(hidden, locale=normalize_locale(locale))
    return f"{title} ({chart_words(locale)['more'].format(n=count)})"


def attainment_rows(
    reps: Sequence[tuple[str, float | None]], *, limit: int = MAX_BARS
) -> tuple[list[tuple[str, float | None]], int]:
    """The reps to draw, best first (no objective last, ties in the given order), and how many are left out."""
    cleaned = [(name, _ratio(value)) for name, value in reps]
    order = sorted(
        range(len(cleaned)),
        key=lambda i: (cleaned[i][1] is None, -(cleaned[i][1] or 0.0), i),
    )
    shown = [cleaned[i] for i in order[:limit]]
    return shown, max(0, len(cleaned) - limit)


def _ratio(value: float | Decimal | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _clean(text: str, limit: int) -> str:
    """Text the bundled font can draw: no emoji or private-use characters, no mathtext, at most ``limit`` chars."""
    kept = []
    for ch in str(text):
        if ch in _DROP or ord(ch) > 0xFFFF or unicodedata.category(ch) in ("So", "Cs", "Co", "Cn", "Cc"):
            continue
        kept.append(ch)
    flat = " ".join("".join(kept).split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return _escape(flat)


def _escape(text: str) -> str:
    # Two "$" would switch matplotlib to mathtext; an escaped one is drawn as "$".
    return text.replace("$", r"\$")


# ---------------------------------------------------------------------------- drawing


def _new_figure(size: tuple[int, int]) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    # No "Software" key: the bytes depend on the input only. Level 3 zlib: 3x faster than 6, ~10 % bigger.
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None},
                pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


def _style(ax: Axes, title: str) -> None:
    ax.set_title(title, fontsize=12, color=_TEXT, loc="left", pad=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(_MUTED)
    ax.tick_params(colors=_TEXT, labelsize=9, length=3)
    ax.set_axisbelow(True)


def _empty(ax: Axes, title: str, locale: str) -> None:
    _style(ax, title)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.text(0.5, 0.5, _escape(chart_words(locale)["no_data"]), transform=ax.transAxes,
            ha="center", va="center", fontsize=11, color=_MUTED)


def _draw_attainment(ax: Axes, reps: Sequence[tuple[str, float | None]], title: str, locale: str) -> None:
    shown, hidden = attainment_rows(reps)
    full_title = _clean(attainment_title(title, hidden, locale), 90)
    if not shown:
        _empty(ax, full_title, locale)
        return
    words = chart_words(locale)
    _style(ax, full_title)
    values = [v for _, v in shown if v is not None]
    top = min(max([1.0, *values]), DISPLAY_CAP)
    right = top * 1.18  # room for the value labels
    positions = list(range(len(shown)))[::-1]  # the best rep on top
    label_size = 9 if len(shown) <= 20 else 7.5
    # One bar collection for the reps with an objective, one for the others: a call per bar is slow.
    with_goal = [(y, v) for y, (_, v) in zip(positions, shown) if v is not None]
    without = [y for y, (_, v) in zip(positions, shown) if v is None]
    if with_goal:
        drawn = [min(max(v, 0.0), DISPLAY_CAP) for _, v in with_goal]
        ax.barh([y for y, _ in with_goal], drawn, height=0.7,
                color=[_BAR_DONE if v >= 1.0 else _BAR for _, v in with_goal])
        for (y, value), length in zip(with_goal, drawn):
            ax.text(length + right * 0.01, y, _escape(percent_label(value, locale)), va="center", ha="left",
                    fontsize=label_size, color=_TEXT)
    if without:
        ax.barh(without, [1.0] * len(without), height=0.7, facecolor="none", edgecolor=_GRID,
                hatch="///", linewidth=0.8)
        for y in without:
            ax.text(0.02, y, _escape(words["no_objective"]), va="center", ha="left",
                    fontsize=label_size, color=_MUTED, style="italic")
    ax.axvline(1.0, color=_TEXT, linestyle="--", linewidth=1)
    # Names as plain texts left of the axis: 30 tick objects cost more than the whole drawing.
    names = ax.get_yaxis_transform()  # x in axes coordinates, y in data
    for y, (name, _) in zip(positions, shown):
        ax.text(-0.015, y, _clean(name, NAME_CHARS), transform=names, va="center", ha="right",
                fontsize=label_size, color=_TEXT)
    ax.set_yticks([])
    ax.set_ylim(-0.6, len(shown) - 0.4)
    ax.set_xlim(0, right)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: _escape(percent_label(x, locale))))
    ax.grid(axis="x", color=_GRID, linewidth=0.8)


def _draw_pipeline(
    ax: Axes, stages: Sequence[tuple[str, float, float]], title: str, locale: str, currency: str
) -> None:
    clean_title = _clean(title, 90)
    if not stages:
        _empty(ax, clean_title, locale)
        return
    words = chart_words(locale)
    _style(ax, clean_title)
    xs = list(range(len(stages)))
    raw = [float(r) for _, r, _ in stages]
    weighted = [float(w) for _, _, w in stages]
    width = 0.38
    ax.bar([x - width / 2 for x in xs], raw, width, color=_BAR, label=_escape(words["raw"]))
    ax.bar([x + width / 2 for x in xs], weighted, width, color=_WEIGHTED, label=_escape(words["weighted"]))
    labels = ["\n".join(textwrap.wrap(_clean(name, 2 * STAGE_CHARS), STAGE_CHARS)) or "-" for name, _, _ in stages]
    ax.set_xticks(xs, labels)
    ax.tick_params(axis="x", length=0, labelsize=9 if len(stages) <= 6 else 7.5)
    if len(stages) > 6:
        for tick in ax.get_xticklabels():
            tick.set_rotation(30)
            tick.set_horizontalalignment("right")
    low = min(0.0, *raw, *weighted)
    high = max(0.0, *raw, *weighted)
    if high == low:
        high = low + 1.0
    ax.set_ylim(low, high * 1.08 if high > 0 else high)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _escape(money_label(v, locale, currency))))
    ax.grid(axis="y", color=_GRID, linewidth=0.8)
    ax.legend(loc="upper right", fontsize=9, frameon=False)


# ---------------------------------------------------------------------------- public charts


def attainment_chart(reps: Sequence[tuple[str, float | None]], *, title: str, locale: str) -> bytes:
    """PNG (``SINGLE_SIZE``): rep name → attainment ratio (1.0 = 100 %); ``None`` = no objective."""
    with _RENDER_LOCK:
        fig = _new_figure(SINGLE_SIZE)
        _draw_attainment(fig.add_axes((0.27, 0.08, 0.68, 0.83)), reps, title, locale)
        return _png(fig)


def pipeline_chart(
    stages: Sequence[tuple[str, float, float]], *, title: str, locale: str, currency: str
) -> bytes:
    """PNG (``SINGLE_SIZE``): stage label → raw and weighted amounts, grouped bars, in ``currency``."""
    with _RENDER_LOCK:
        fig = _new_figure(SINGLE_SIZE)
        _draw_pipeline(fig.add_axes((0.17, 0.16, 0.79, 0.75)), stages, title, locale, currency)
        return _png(fig)


def digest_chart_from_data(data: dict) -> bytes:
    """The digest PNG from the plain data an outbox row keeps (``bot.dialogs.digest.chart_data``).

    Drawn by the delivery worker when the row is sent, not in the scheduler's tick: a chart costs
    a third of a second or more, and a Monday morning queues one per manager. Raises ValueError
    (KeyError, TypeError) on data that is not a digest chart's."""
    attainment = [(str(name), None if ratio is None else float(ratio)) for name, ratio in data["attainment"]]
    stages = [(str(label), float(raw), float(weighted)) for label, raw, weighted in data["stages"]]
    first, second = data["titles"]
    return digest_chart(attainment, stages, titles=(str(first), str(second)), locale=str(data["locale"]), currency=str(data["currency"]))


def digest_chart(
    attainment: Sequence[tuple[str, float | None]],
    stages: Sequence[tuple[str, float, float]],
    *,
    titles: tuple[str, str],
    locale: str,
    currency: str,
) -> bytes:
    """PNG (``DIGEST_SIZE``): the attainment chart (left) and the pipeline chart (right) side by side."""
    with _RENDER_LOCK:
        fig = _new_figure(DIGEST_SIZE)
        _draw_attainment(fig.add_axes((0.135, 0.08, 0.34, 0.83)), attainment, titles[0], locale)
        _draw_pipeline(fig.add_axes((0.595, 0.16, 0.385, 0.75)), stages, titles[1], locale, currency)
        return _png(fig)


# ---------------------------------------------------------------------------- the manager's cockpit (issue 14)
#
# Four charts a manager reads at a glance, each built in two steps: a *data builder* that takes
# figures already computed elsewhere (``bot/reports/kpis.py``, the digest: no SQL here) and returns
# plain JSON (what an outbox "file" row keeps), and a drawing that reads that JSON when the
# delivery worker sends the row. Each data carries its ``alt`` text (Slack's ``alt_txt``).
#
# Legible at 1,000 reps: the attainment chart draws at most ``EDGE_REPS`` best and ``EDGE_REPS``
# worst reps by projection and one aggregated bar "and N others" (their median), never a bar per rep.

EDGE_REPS = 10  # best and worst reps drawn when a team is larger than 2 × EDGE_REPS
MIX_TYPES = 8  # activity types drawn; the rest in one "other" bar
TREND_WEEKS = 12
COCKPIT_SIZE = (900, 600)

_COCKPIT_WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "others": "et {n} autres (médiane)",
        "elapsed": "temps écoulé {pct}",
        "projected": "projeté",
        "so_far": "atteint",
        "won": "Gagné",
        "activity": "Actions",
        "other_types": "autres",
        "alt_attainment": "Atteinte de l'objectif de {n} commerciaux, {elapsed} de la période écoulée : {above} à 100 % ou plus, {below} sous 50 %, médiane {median}, projection médiane {projected}.",
        "alt_attainment_none": "Atteinte de l'objectif : aucun commercial n'a d'objectif sur la période.",
        "alt_trend": "Tendance sur {n} semaines : gagné {won_first} la semaine du {first}, {won_last} la semaine du {last} (total {won_total}) ; {actions_total} actions, de {actions_min} à {actions_max} par semaine.",
        "alt_funnel": "Entonnoir des affaires : {stages}.",
        "alt_funnel_step": "{stage} {count}",
        "alt_funnel_rate": "{rate} passent à l'étape suivante",
        "alt_mix": "Actions par type ({total} au total) : {types}.",
        "alt_empty": "Pas encore de données.",
    },
    "en": {
        "others": "and {n} others (median)",
        "elapsed": "time elapsed {pct}",
        "projected": "projected",
        "so_far": "so far",
        "won": "Won",
        "activity": "Actions",
        "other_types": "other",
        "alt_attainment": "Attainment of {n} reps, {elapsed} of the period elapsed: {above} at or above 100%, {below} below 50%, median {median}, median projection {projected}.",
        "alt_attainment_none": "Attainment: no rep has an objective for the period.",
        "alt_trend": "Trend over {n} weeks: won {won_first} the week of {first}, {won_last} the week of {last} ({won_total} in all); {actions_total} actions, {actions_min} to {actions_max} a week.",
        "alt_funnel": "Deal funnel: {stages}.",
        "alt_funnel_step": "{stage} {count}",
        "alt_funnel_rate": "{rate} move on to the next stage",
        "alt_mix": "Actions by type ({total} in all): {types}.",
        "alt_empty": "No data yet.",
    },
}


def _cw(locale: str) -> dict[str, str]:
    return _COCKPIT_WORDS[normalize_locale(locale)]


def _number(value: float, locale: str) -> str:
    return format_decimal(value, locale=normalize_locale(locale))


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def attainment_data(
    reps: Sequence[tuple[str, float | None, float | None]], *, elapsed: float, title: str, locale: str,
    edge: int = EDGE_REPS,
) -> dict:
    """Attainment so far and projected per rep (ratios, 1.0 = 100 %), with the share of the period
    elapsed (0..1). Reps without an objective are left out (counted in the alt text's total only
    when they have one). More than ``2 × edge`` reps: the ``edge`` best and ``edge`` worst by
    projection are kept, the others become one row ``others`` (count and median ratios)."""
    scored = [(str(name), float(done), float(projected if projected is not None else done))
              for name, done, projected in reps if done is not None and math.isfinite(float(done))]
    scored.sort(key=lambda row: (-row[2], -row[1], row[0]))
    words = _cw(locale)
    if len(scored) > 2 * edge:
        middle = scored[edge:-edge]
        rows = [list(r) for r in scored[:edge]]
        others = {"count": len(middle), "done": _median([r[1] for r in middle]), "projected": _median([r[2] for r in middle])}
        rows_bottom = [list(r) for r in scored[-edge:]]
    else:
        rows, others, rows_bottom = [list(r) for r in scored], None, []
    pct = lambda ratio: percent_label(ratio, locale)  # noqa: E731
    if scored:
        alt = words["alt_attainment"].format(
            n=_number(len(scored), locale), elapsed=pct(elapsed),
            above=_number(sum(1 for r in scored if r[1] >= 1.0), locale),
            below=_number(sum(1 for r in scored if r[1] < 0.5), locale),
            median=pct(_median([r[1] for r in scored])), projected=pct(_median([r[2] for r in scored])))
    else:
        alt = words["alt_attainment_none"]
    return {"chart": "attainment", "locale": normalize_locale(locale), "title": title, "elapsed": float(elapsed),
            "top": rows, "others": others, "bottom": rows_bottom, "alt": alt}


def trend_data(
    weeks: Sequence[tuple[date, float | Decimal, int]], *, title: str, locale: str, currency: str, note: str = ""
) -> dict:
    """The last ``TREND_WEEKS`` weeks: (week's Monday, won amount, actions logged), oldest first.
    ``note`` (won amounts left out of the bars: a currency without a rate) is drawn under the
    title and ends the alt text."""
    kept = sorted(weeks, key=lambda w: w[0])[-TREND_WEEKS:]
    rows = [[w.isoformat(), float(won), int(actions)] for w, won, actions in kept]
    words = _cw(locale)
    if rows:
        from bot.messages import format_day

        alt = words["alt_trend"].format(
            n=_number(len(rows), locale), first=format_day(locale, kept[0][0]), last=format_day(locale, kept[-1][0]),
            won_first=money_label(rows[0][1], locale, currency), won_last=money_label(rows[-1][1], locale, currency),
            won_total=money_label(sum(r[1] for r in rows), locale, currency),
            actions_total=_number(sum(r[2] for r in rows), locale),
            actions_min=_number(min(r[2] for r in rows), locale), actions_max=_number(max(r[2] for r in rows), locale))
    else:
        alt = words["alt_empty"]
    if note:
        alt = f"{alt} {note}"
    return {"chart": "trend", "locale": normalize_locale(locale), "currency": currency, "title": title,
            "weeks": rows, "alt": alt, "note": note}


def funnel_data(stages: Sequence[tuple[str, int]], *, title: str, locale: str) -> dict:
    """Deals that reached each stage, in the pipeline's order, and the share passing to the next one."""
    rows = [[str(label), int(count)] for label, count in stages]
    rates = [(after / before if before else None) for (_, before), (_, after) in zip(rows, rows[1:])]
    words = _cw(locale)
    if rows and any(count for _, count in rows):
        parts = []
        for i, (label, count) in enumerate(rows):
            part = words["alt_funnel_step"].format(stage=label, count=_number(count, locale))
            if i < len(rates) and rates[i] is not None:
                part += f" ({words['alt_funnel_rate'].format(rate=percent_label(rates[i], locale))})"
            parts.append(part)
        alt = words["alt_funnel"].format(stages=", ".join(parts))
    else:
        alt = words["alt_empty"]
    return {"chart": "funnel", "locale": normalize_locale(locale), "title": title, "stages": rows, "rates": rates, "alt": alt}


def activity_mix_data(types: Sequence[tuple[str, int]], *, title: str, locale: str, limit: int = MIX_TYPES) -> dict:
    """Actions per type, the most frequent first; beyond ``limit`` types, the rest in one "other" bar."""
    ordered = sorted(((str(label), int(count)) for label, count in types if count), key=lambda t: (-t[1], t[0]))
    words = _cw(locale)
    rows = [list(t) for t in ordered[:limit]]
    if len(ordered) > limit:
        rows.append([words["other_types"], sum(c for _, c in ordered[limit:])])
    total = sum(c for _, c in rows)
    if total:
        types_text = ", ".join(f"{label} {_number(c, locale)} ({percent_label(c / total, locale)})" for label, c in rows)
        alt = words["alt_mix"].format(total=_number(total, locale), types=types_text)
    else:
        alt = words["alt_empty"]
    return {"chart": "activity_mix", "locale": normalize_locale(locale), "title": title, "types": rows, "alt": alt}


def _draw_cockpit_attainment(ax: Axes, data: dict) -> None:
    locale, words = data["locale"], _cw(data["locale"])
    rows = [(n, d, p) for n, d, p in data["top"]]
    if data["others"]:
        o = data["others"]
        rows.append((words["others"].format(n=_number(o["count"], locale)), o["done"], o["projected"]))
    rows += [(n, d, p) for n, d, p in data["bottom"]]
    title = _clean(data["title"], 90)
    if not rows:
        _empty(ax, title, locale)
        return
    _style(ax, title)
    ys = list(range(len(rows)))[::-1]
    done = [min(max(d, 0.0), DISPLAY_CAP) for _, d, _ in rows]
    projected = [min(max(p, 0.0), DISPLAY_CAP) for _, _, p in rows]
    ax.barh(ys, projected, height=0.7, color="none", edgecolor=_BAR, hatch="///", linewidth=0.8,
            label=_escape(words["projected"]))
    ax.barh(ys, done, height=0.7, color=[_BAR_DONE if d >= 1.0 else _BAR for d in done], label=_escape(words["so_far"]))
    size = 9 if len(rows) <= 12 else 7.5
    for y, (_, d, p), length in zip(ys, rows, projected):
        ax.text(max(length, d) + 0.02, y, _escape(f"{percent_label(d, locale)} → {percent_label(p, locale)}"),
                va="center", ha="left", fontsize=size, color=_TEXT)
    names = ax.get_yaxis_transform()
    for y, (name, _, _) in zip(ys, rows):
        ax.text(-0.015, y, _clean(name, NAME_CHARS), transform=names, va="center", ha="right", fontsize=size, color=_TEXT)
    ax.set_yticks([])
    ax.axvline(1.0, color=_TEXT, linestyle="--", linewidth=1)
    elapsed = min(max(float(data["elapsed"]), 0.0), 1.0)
    ax.axvline(elapsed, color=_WEIGHTED, linewidth=1.5)
    ax.text(elapsed, 1.0, _escape(words["elapsed"].format(pct=percent_label(elapsed, locale))), transform=ax.get_xaxis_transform(),
            ha="center", va="bottom", fontsize=8, color=_WEIGHTED)
    top = min(max([1.0, *done, *projected]), DISPLAY_CAP)
    ax.set_xlim(0, top * 1.3)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: _escape(percent_label(x, locale))))
    ax.grid(axis="x", color=_GRID, linewidth=0.8)
    ax.legend(loc="lower right", fontsize=8, frameon=False)


def _draw_trend(ax: Axes, data: dict) -> None:
    locale, words, currency = data["locale"], _cw(data["locale"]), data["currency"]
    title = _clean(data["title"], 90)
    weeks = data["weeks"]
    if not weeks:
        _empty(ax, title, locale)
        return
    from bot.messages import format_day

    _style(ax, title)
    if data.get("note"):  # won amounts in a currency without a rate: said, never drawn as if converted
        ax.figure.text(0.01, 0.01, "+ " + _clean(data["note"], 140), ha="left", va="bottom", fontsize=8, color=_TEXT)
    xs = list(range(len(weeks)))
    ax.bar(xs, [w[1] for w in weeks], 0.6, color=_BAR, label=_escape(words["won"]))
    ax.set_xticks(xs, [_escape(format_day(locale, date.fromisoformat(w[0]))[:6]) for w in weeks])
    ax.tick_params(axis="x", labelsize=7.5, rotation=45)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _escape(money_label(v, locale, currency))))
    ax.grid(axis="y", color=_GRID, linewidth=0.8)
    right = ax.twinx()
    right.plot(xs, [w[2] for w in weeks], color=_WEIGHTED, marker="o", linewidth=2, label=_escape(words["activity"]))
    right.set_ylim(bottom=0)
    right.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    right.tick_params(colors=_TEXT, labelsize=9)
    for side in ("top", "left"):
        right.spines[side].set_visible(False)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], loc="upper left", fontsize=8, frameon=False)


def _draw_funnel(ax: Axes, data: dict) -> None:
    locale = data["locale"]
    title = _clean(data["title"], 90)
    stages = data["stages"]
    if not stages or not any(c for _, c in stages):
        _empty(ax, title, locale)
        return
    _style(ax, title)
    widest = max(c for _, c in stages) or 1
    ys = list(range(len(stages)))[::-1]
    counts = [c for _, c in stages]
    ax.barh(ys, counts, left=[(widest - c) / 2 for c in counts], height=0.65, color=_BAR)
    for y, (label, count) in zip(ys, stages):
        ax.text(widest / 2, y, _escape(f"{_clean(label, 2 * STAGE_CHARS)} · {_number(count, locale)}"),
                ha="center", va="center", fontsize=9, color="white" if count > widest * 0.3 else _TEXT)
    for y, rate in zip(ys[1:], data["rates"]):
        if rate is not None:
            ax.text(widest * 1.02, y + 0.5, _escape("↓ " + percent_label(rate, locale)), ha="left", va="center",
                    fontsize=9, color=_WEIGHTED)
    ax.set_xlim(0, widest * 1.2)
    ax.set_ylim(-0.6, len(stages) - 0.4)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _draw_mix(ax: Axes, data: dict) -> None:
    locale = data["locale"]
    title = _clean(data["title"], 90)
    types = data["types"]
    if not types:
        _empty(ax, title, locale)
        return
    _style(ax, title)
    total = sum(c for _, c in types) or 1
    ys = list(range(len(types)))[::-1]
    ax.barh(ys, [c for _, c in types], height=0.65, color=_BAR)
    widest = max(c for _, c in types)
    for y, (_, count) in zip(ys, types):
        ax.text(count + widest * 0.01, y, _escape(f"{_number(count, locale)} ({percent_label(count / total, locale)})"),
                va="center", ha="left", fontsize=9, color=_TEXT)
    ax.set_yticks(ys, [_clean(label, NAME_CHARS) for label, _ in types])
    ax.set_xlim(0, widest * 1.25)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.grid(axis="x", color=_GRID, linewidth=0.8)


_COCKPIT_DRAWINGS = {
    "attainment": (_draw_cockpit_attainment, (0.27, 0.08, 0.68, 0.82)),
    "trend": (_draw_trend, (0.13, 0.16, 0.75, 0.74)),
    "funnel": (_draw_funnel, (0.05, 0.05, 0.9, 0.85)),
    "activity_mix": (_draw_mix, (0.2, 0.08, 0.75, 0.83)),
}


def cockpit_chart(data: dict) -> bytes:
    """PNG (``COCKPIT_SIZE``) of one cockpit chart from its data (``attainment_data``, ``trend_data``,
    ``funnel_data``, ``activity_mix_data``). Raises KeyError / TypeError / ValueError on other data."""
    draw, box = _COCKPIT_DRAWINGS[data["chart"]]
    with _RENDER_LOCK:
        fig = _new_figure(COCKPIT_SIZE)
        draw(fig.add_axes(box), data)
        return _png(fig)
