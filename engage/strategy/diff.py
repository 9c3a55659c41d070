"""Word-level comparison of two texts for side-by-side display (difflib).

Pure module: standard library only.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


class Change(StrEnum):
    SAME = "same"
    INSERTED = "inserted"
    DELETED = "deleted"


@dataclass(frozen=True)
class Segment:
    """A run of text that is the same on both sides, or only on one."""

    change: Change
    text: str


@dataclass(frozen=True)
class SideBySide:
    """The old text (same and deleted runs) and the new text (same and inserted runs)."""

    old: tuple[Segment, ...]
    new: tuple[Segment, ...]

    @property
    def changed(self) -> bool:
        return any(s.change is not Change.SAME for s in (*self.old, *self.new))


def tokens(text: str) -> list[str]:
    """Words, runs of white space and single punctuation marks; they join back to the text."""
    return _TOKEN.findall(text)


def _merge(segments: list[Segment]) -> tuple[Segment, ...]:
    merged: list[Segment] = []
    for segment in segments:
        if not segment.text:
            continue
        if merged and merged[-1].change is segment.change:
            merged[-1] = Segment(segment.change, merged[-1].text + segment.text)
        else:
            merged.append(segment)
    return tuple(merged)


def compare_texts(old: str, new: str) -> SideBySide:
    """Mark what was deleted from ``old`` and inserted into ``new``, word by word."""
    a, b = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    left: list[Segment] = []
    right: list[Segment] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            text = "".join(a[i1:i2])
            left.append(Segment(Change.SAME, text))
            right.append(Segment(Change.SAME, text))
            continue
        if op in ("delete", "replace"):
            left.append(Segment(Change.DELETED, "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            right.append(Segment(Change.INSERTED, "".join(b[j1:j2])))
    return SideBySide(_merge(left), _merge(right))
