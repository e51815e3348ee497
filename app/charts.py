"""Geometry for the server-rendered SVG charts (the templates draw; this only measures).

Charts are SVG written by Jinja templates (consultations/_charts.html): no script, no style
attribute (the CSP forbids inline styles; fills come from classes), and each chart sits beside
a table or text with its numbers, so nothing is said only in colour or shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.enums import Stance

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
