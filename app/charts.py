"""Geometry for the server-rendered SVG charts (the templates draw; this only measures).

Charts are SVG written by Jinja templates (consultations/_charts.html): no script, no style
attribute (the CSP forbids inline styles; fills come from classes), and each chart sits beside
a table or text with its numbers, so nothing is said only in colour or shape.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from markupsafe import Markup, escape

from app import i18n
from consultations.attribution import GROUP_LABELS
from consultations.consensus import CONTESTED, GROUPS, Day, ParagraphConsensus, bridging
from core.enums import LABELS, StakeholderGroup, Stance
from core.i18n import N_

#: Stances from support to opposition, the order bars and legends use.
STANCE_ORDER: tuple[Stance, ...] = (
    Stance.SUPPORT,
    Stance.AMEND,
    Stance.QUESTION,
    Stance.NEUTRAL,
    Stance.OPPOSE,
)


@dataclass(frozen=True, slots=True)
class Segment:
    stance: Stance
    count: int
    x: float
    width: float


def stance_segments(counts: Mapping[Stance, int], most: int, width: float) -> list[Segment]:
    """One horizontal stacked bar: a segment per stance with comments, scaled so that `most`
    comments fill `width`."""
    scale = width / max(most, 1)
    segments, x = [], 0.0
    for stance in STANCE_ORDER:
        count = counts.get(stance, 0)
        if count:
            segments.append(Segment(stance, count, round(x, 2), round(count * scale, 2)))
            x += count * scale
    return segments


def largest(tallies: Iterable[Mapping[Stance, int]]) -> int:
    """The longest bar's count, so that several bars share one scale."""
    return max((sum(t.values()) for t in tallies), default=0)


# -- the draft page's margin chart ----------------------------------------------------------------
#
# Drawn in Python rather than by a template macro: the draft page draws up to one per
# paragraph (300 in the benchmark), and a macro per paragraph doubled the page's render time.

GROUP_SHORT = {
    StakeholderGroup.GOVERNMENT: N_("Gov."),
    StakeholderGroup.PRIVATE_SECTOR: N_("Industry"),
    StakeholderGroup.ACADEMIA: N_("Academia"),
    StakeholderGroup.CIVIL_SOCIETY: N_("Civil soc."),
    StakeholderGroup.TECHNICAL_COMMUNITY: N_("Technical"),
}
UNDISCLOSED, CHART_TITLE = N_("Undisclosed"), N_("Stances by group")
_ROW, _BAR, _LABEL, _BAR_WIDTH, _ZOOM = 9, 6, 44, 96, 1.5


def margin_chart(row: ParagraphConsensus) -> Markup:
    """A paragraph's stances by group: a short label and a bar per group that took a stance
    (one scale per paragraph), and the same numbers as a sentence for screen readers."""
    tallies: list[tuple[StakeholderGroup | None, Counter[Stance]]] = [
        (g, row.stances[g]) for g in GROUPS if row.stances.get(g)
    ]
    if row.undisclosed:
        tallies.append((None, row.undisclosed))
    if not tallies:
        return Markup("")
    most = largest(counts for _, counts in tallies)
    labels, spoken = [], []
    paths: dict[Stance, list[str]] = {}  # one path per stance: a small page, few elements
    for index, (group, counts) in enumerate(tallies):
        y = index * _ROW
        short = i18n.gettext(GROUP_SHORT[group] if group else UNDISCLOSED)
        labels.append(f'<text x="0" y="{y + _BAR}">{escape(short)}</text>')
        for seg in stance_segments(counts, most, _BAR_WIDTH - 4):
            paths.setdefault(seg.stance, []).append(
                f"M{_LABEL + seg.x:g} {y}h{seg.width:g}v{_BAR}h-{seg.width:g}z"
            )
        name = i18n.gettext(GROUP_LABELS[group] if group else UNDISCLOSED)
        said = ", ".join(
            f"{i18n.gettext(LABELS[s.value])} {counts[s]}" for s in STANCE_ORDER if counts.get(s)
        )
        spoken.append(f"{name}: {said}")
    shapes = labels + [
        f'<path class="fill--{stance.value}" d="{"".join(d)}"/>' for stance, d in paths.items()
    ]
    height = len(tallies) * _ROW
    svg = (
        f'<svg class="margin-chart" viewBox="0 0 {_LABEL + _BAR_WIDTH} {height}" '
        f'width="{(_LABEL + _BAR_WIDTH) * _ZOOM}" height="{height * _ZOOM}" aria-hidden="true" '
        'focusable="false">' + "".join(shapes) + "</svg>"
    )
    sentence = escape(i18n.gettext(CHART_TITLE) + ": " + "; ".join(spoken) + ".")
    # Only numbers, our own class names and escaped labels are in it.
    hidden = Markup('<span class="visually-hidden">{}</span>').format(sentence)
    return Markup(svg) + hidden  # noqa: S704


# -- participation over time and the activity strip -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Stack:
    key: str  # the group's value, or "undisclosed": the class that colours it
    y: float
    height: float
    count: int


@dataclass(frozen=True, slots=True)
class Column:
    day: Day
    x: float
    width: float
    stacks: list[Stack]


@dataclass(frozen=True, slots=True)
class Timeline:
    columns: list[Column]
    width: int
    height: int
    most: int


def timeline(days: list[Day], width: int = 600, height: int = 120) -> Timeline:
    """A column per day, stacked by group in the groups' order, on one scale."""
    most = max((day.total for day in days), default=0)
    step = width / max(len(days), 1)
    scale = height / max(most, 1)
    columns = []
    for index, day in enumerate(days):
        stacks, top = [], float(height)
        for group in (*GROUPS, None):
            count = day.by_group.get(group, 0)
            if count:
                top -= count * scale
                key = group.value if group else "undisclosed"
                stacks.append(Stack(key, round(top, 2), round(count * scale, 2), count))
        columns.append(Column(day, round(index * step, 2), round(max(step - 1, 1), 2), stacks))
    return Timeline(columns, width, height, most)


@dataclass(frozen=True, slots=True)
class Tick:
    row: ParagraphConsensus
    x: float
    height: float
    tone: str  # "contested", "agreed" or "quiet"


def activity_strip(
    rows: list[ParagraphConsensus], width: int = 600, height: int = 40
) -> list[Tick]:
    """A tick per paragraph in document order, as tall as its thread count (one scale),
    toned by whether its groups disagree or agree."""
    most = max((row.threads for row in rows), default=0)
    step = width / max(len(rows), 1)
    ordered = sorted(rows, key=lambda row: row.paragraph.ordinal)
    neutral = bridging({})
    ticks = []
    for index, row in enumerate(ordered):
        tone = (
            "contested"
            if row.contention >= CONTESTED
            else "agreed"
            if row.bridging > neutral
            else "quiet"
        )
        tall = row.threads * height / max(most, 1)
        ticks.append(Tick(row, round(index * step, 2), round(tall, 2), tone))
    return ticks
