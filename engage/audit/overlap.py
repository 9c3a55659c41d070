"""Duplication finder for the engagement register.

Pure module: standard library only, frozen dataclasses in and out, results as codes and
numbers (the web layer turns codes into English or Welsh sentences).

Question answered: *where are two different partners asking the same people about the same
thing at about the same time?*

Pipeline
--------
1. **Blocking** (:func:`iter_candidate_pairs`). Activities are swept in start-date order and
   kept in one "active" list per theme. An activity leaves a theme's list once it ended more
   than ``window_days`` before the current start, so each activity is only compared with
   activities that share at least one theme *and* fall inside the date window. Candidates
   must also share at least one ward (bit-mask test) and, by default, belong to different
   organisations. A pair sharing several themes is emitted once (only from the list of its
   lowest shared theme). Work is therefore proportional to the number of pairs that are
   close in time within a theme, not to n².
2. **Structural score**. Jaccard similarity of theme sets, ward sets and target-group sets,
   date proximity (``1 - days_apart / window``; 1.0 when the ranges overlap) and same method.
   Activities with no target group are "general public": two general-public activities score
   1.0 on groups, a general-public one against a targeted one scores
   ``general_public_group_score`` (default 0.5), and two targeted activities with *disjoint*
   groups are not a duplicate at all when ``require_group_overlap`` is set (the default).
3. **Text similarity** (:class:`TextIndex`). TF-IDF cosine over word unigrams and bigrams:
   text is NFKC-normalised and case-folded, split into letter runs and digit runs, English
   stop words are dropped, each word goes through a small suffix-stripping stemmer
   (:func:`stem`), and bigrams are formed from consecutive kept stems. The title is counted
   twice (titles are short and carry the topic); bigrams do not cross a line break. Term
   frequency is sublinear (``1 + ln tf``), IDF is smoothed (``ln((1 + N) / (1 + df)) + 1``,
   N = activities passed in) and vectors are L2-normalised, so the cosine is a sparse dot
   product. The inverted index (term -> documents) gives the document frequencies; terms found
   in one document only are then dropped from the stored vectors (they can never contribute
   to a cosine), and the similarity of a blocked pair is the dot product over the C-level
   intersection of the two documents' term-id sets. A corpus-wide "accumulate over postings"
   search is not used for pairs: after blocking, an activity has about 50 candidates (5,000
   synthetic activities; 200 at 20,000), while the postings of common words run to
   thousands of documents, so direct dot products on the blocked pairs are cheaper. Text is
   only scored for pairs that survive blocking and whose structural score could still reach
   ``min_score`` with a perfect text match.
4. **Score** = weighted mean of the six components (weights in :class:`OverlapWeights`).
   Pairs with ``score >= min_score`` are returned, best first, each with structured reasons
   (:class:`Reason`, codes in :class:`ReasonCode`).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TypeVar

_Key = TypeVar("_Key", int, str)

__all__ = [
    "CLOSED_STATUSES",
    "ENGLISH_STOP_WORDS",
    "ActivityRecord",
    "Method",
    "OverlapConfig",
    "OverlapPair",
    "OverlapWeights",
    "Reason",
    "ReasonCode",
    "ScoreComponents",
    "Status",
    "TargetGroup",
    "TextIndex",
    "days_apart",
    "find_overlaps",
    "iter_candidate_pairs",
    "stem",
    "terms",
    "tokenise",
]


# --------------------------------------------------------------------------------------------
# Vocabulary (codes shared with the app)
# --------------------------------------------------------------------------------------------


class Method(StrEnum):
    """Engagement methods known to the register (the field itself is a free code)."""

    SURVEY = "survey"
    FOCUS_GROUP = "focus_group"
    PUBLIC_MEETING = "public_meeting"
    CITIZENS_PANEL = "citizens_panel"
    ONLINE_CONSULTATION = "online_consultation"
    PARTICIPATORY_BUDGETING = "participatory_budgeting"
    WORKSHOP = "workshop"
    DOOR_TO_DOOR = "door_to_door"
    USER_FORUM = "user_forum"
    OTHER = "other"


class Status(StrEnum):
    PLANNED = "planned"
    LIVE = "live"
    CLOSED = "closed"
    RESULTS_PUBLISHED = "results_published"


CLOSED_STATUSES: frozenset[str] = frozenset({Status.CLOSED, Status.RESULTS_PUBLISHED})


class TargetGroup(StrEnum):
    """Common target-group codes; the field accepts any code the partnership defines."""

    YOUNG_PEOPLE = "young_people"
    OLDER_PEOPLE = "older_people"
    ETHNIC_MINORITY = "ethnic_minority"
    DISABLED_PEOPLE = "disabled_people"
    CARERS = "carers"
    BUSINESSES = "businesses"
    TENANTS = "tenants"
    FAITH_GROUPS = "faith_groups"


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """A frozen snapshot of one engagement-register entry (an ``EngagementActivity`` row).

    ``ward_ids`` must already be expanded: a whole-district or partnership-wide activity
    lists every ward. An empty ``target_groups`` means "general public". Dates are
    inclusive; a one-day event has ``end_date == start_date``.
    """

    id: int
    organisation_id: int
    title: str
    start_date: date
    end_date: date
    description: str = ""
    method: str = Method.OTHER
    theme_ids: frozenset[int] = frozenset()
    ward_ids: frozenset[int] = frozenset()
    target_groups: frozenset[str] = frozenset()
    participants: int = 0
    cost_pence: int = 0
    status: str = Status.PLANNED
    outcome_published: bool = False
    outcome_published_on: date | None = None

    def __post_init__(self) -> None:
        # Accept any iterable at runtime (lists from a form, sets from a query) but store
        # immutable sets so records stay hashable and safe to share.
        for name in ("theme_ids", "ward_ids", "target_groups"):
            value = getattr(self, name)
            if not isinstance(value, frozenset):
                object.__setattr__(self, name, frozenset(value))
        if self.end_date < self.start_date:
            raise ValueError(f"activity {self.id}: end_date before start_date")
        if self.participants < 0:
            raise ValueError(f"activity {self.id}: negative participants")
        if self.cost_pence < 0:
            raise ValueError(f"activity {self.id}: negative cost")
        if self.status not in Status.__members__.values():
            raise ValueError(f"activity {self.id}: unknown status {self.status!r}")

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


def days_apart(a: ActivityRecord, b: ActivityRecord) -> int:
    """Whole days between two inclusive date ranges; 0 when they overlap (share a day)."""
    return max(0, (max(a.start_date, b.start_date) - min(a.end_date, b.end_date)).days)


# --------------------------------------------------------------------------------------------
# Text: tokenising, stemming, TF-IDF
# --------------------------------------------------------------------------------------------

ENGLISH_STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst an and another any anyhow anyone anything anyway
    anywhere are around as at be became because become becomes becoming been before
    beforehand behind being below beside besides between beyond both but by can cannot could
    did do does doing done down due during each eg either else elsewhere enough etc even ever
    every everyone everything everywhere except few for former formerly from further had has
    have having he hence her here hereafter hereby herein hers herself him himself his how
    however i ie if in indeed into is it its itself just last latter latterly least less many
    may me meanwhile might mine more moreover most mostly much must my myself namely neither
    never nevertheless next no nobody none noone nor not nothing now nowhere of off often on
    once one only onto or other others otherwise our ours ourselves out over own per perhaps
    please rather re same seem seemed seeming seems several she should since so some somehow
    someone something sometime sometimes somewhere still such than that the their theirs them
    themselves then thence there thereafter thereby therefore therein thereupon these they
    this those though through throughout thru thus to together too toward towards under until
    up upon us very via was we well were what whatever when whence whenever where whereafter
    whereas whereby wherein whereupon wherever whether which while whither who whoever whole
    whom whose why will with within without would yet you your yours yourself yourselves
    """.split()  # noqa: SIM905 - a word list reads better as prose
)

_WORD = re.compile(r"[^\W\d_]+|\d+")

# Ordered (suffix, replacement, minimum stem length left after stripping).
_SUFFIXES: tuple[tuple[str, str, int], ...] = (
    ("ational", "ate", 3),
    ("ations", "", 4),
    ("ation", "", 4),
    ("ments", "", 4),
    ("ment", "", 4),
    ("ings", "", 3),
    ("ing", "", 3),
    ("ies", "y", 2),
    ("ied", "y", 2),
    ("sses", "ss", 2),
    ("ed", "", 3),
    ("es", "", 3),
)


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A deliberately small suffix-stripping stemmer (Porter-flavoured, not Porter).

    Strips the first matching suffix of :data:`_SUFFIXES` (keeping a minimum stem length),
    otherwise a plural ``s`` (not ``ss``, ``us`` or ``is``), then a final ``e``, and undoubles
    a final double consonant left by ``-ing``/``-ed``. Enough to conflate consult / consults /
    consulted / consulting / consultation and house / houses / housing.
    """
    if len(word) <= 3 or word.isdigit():
        return word
    stripped = False
    for suffix, replacement, min_stem in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= min_stem:
            word = word[: -len(suffix)] + replacement
            stripped = True
            break
    if not stripped and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if stripped and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouslz":
        word = word[:-1]
    return word


def tokenise(text: str) -> list[str]:
    """Case-folded words and numbers of ``text``, stop words removed, stemmed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [stem(w) for w in _WORD.findall(folded) if w not in ENGLISH_STOP_WORDS]


def terms(text: str) -> list[str]:
    """Unigram and bigram terms of ``text`` (bigrams joined by a space, never across a line
    break, so separately written fields do not run into each other)."""
    out: list[str] = []
    for line in text.splitlines():
        words = tokenise(line)
        out += words
        out += [f"{a} {b}" for a, b in itertools.pairwise(words)]
    return out


@dataclass(frozen=True)
class TextIndex:
    """TF-IDF vectors over a corpus of documents keyed by id, with an inverted index.

    * ``term_names[i]`` is the term with id ``i``; ``idf`` and ``postings`` are keyed by term.
    * ``postings`` maps each term to the ids of the documents containing it (the inverted
      index; its length is the document frequency).
    * ``vectors`` maps each document id to its L2-normalised TF-IDF vector *restricted to
      terms found in at least two documents*, keyed by term id. A term unique to one document
      can never contribute to a cosine, so it is dropped after normalisation: cosines are
      exact and vectors shorter. ``term_sets`` holds the same keys as frozensets, so a
      similarity is a C-level set intersection plus a short sum.
    """

    term_names: tuple[str, ...]
    postings: Mapping[str, tuple[int, ...]]
    idf: Mapping[str, float]
    vectors: Mapping[int, Mapping[int, float]]
    term_sets: Mapping[int, frozenset[int]]

    @classmethod
    def build(cls, documents: Mapping[int, str]) -> TextIndex:
        counts: dict[int, Counter[str]] = {
            doc_id: Counter(terms(text)) for doc_id, text in documents.items()
        }
        postings_lists: dict[str, list[int]] = defaultdict(list)
        for doc_id, counter in counts.items():
            for term in counter:
                postings_lists[term].append(doc_id)
        n = len(counts)
        idf = {t: math.log((1 + n) / (1 + len(ids))) + 1.0 for t, ids in postings_lists.items()}
        term_ids = {t: i for i, t in enumerate(postings_lists)}
        shared = {t for t, ids in postings_lists.items() if len(ids) > 1}
        vectors: dict[int, dict[int, float]] = {}
        for doc_id, counter in counts.items():
            weights = {t: (1.0 + math.log(tf)) * idf[t] for t, tf in counter.items()}
            norm = math.sqrt(sum(w * w for w in weights.values()))
            vectors[doc_id] = (
                {term_ids[t]: w / norm for t, w in weights.items() if t in shared} if norm else {}
            )
        return cls(
            term_names=tuple(term_ids),
            postings={t: tuple(ids) for t, ids in postings_lists.items()},
            idf=idf,
            vectors=vectors,
            term_sets={doc_id: frozenset(v) for doc_id, v in vectors.items()},
        )

    def similarity(self, first_id: int, second_id: int) -> float:
        """Cosine similarity of two indexed documents, in [0, 1]."""
        a = self.vectors[first_id]
        b = self.vectors[second_id]
        common = self.term_sets[first_id] & self.term_sets[second_id]
        return min(1.0, sum([a[t] * b[t] for t in common]))

    def most_similar(self, doc_id: int, limit: int = 10) -> list[tuple[int, float]]:
        """Other documents sharing at least one term, by cosine (walks the postings)."""
        scores: dict[int, float] = defaultdict(float)
        for term_id, weight in self.vectors[doc_id].items():
            for other in self.postings[self.term_names[term_id]]:
                if other != doc_id:
                    scores[other] += weight * self.vectors[other][term_id]
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return [(other, min(1.0, score)) for other, score in ranked[:limit]]


def _activity_text(activity: ActivityRecord) -> str:
    title = " ".join(activity.title.split())  # one line, so it counts twice as a unit
    return f"{title}\n{title}\n{activity.description}"


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


class ReasonCode(StrEnum):
    """Why a pair was flagged. Every returned pair has SAME_THEMES, SAME_WARDS and
    DATES_WITHIN; the others appear when they apply."""

    SAME_THEMES = "same_themes"  # ids: shared theme ids; score: Jaccard
    SAME_WARDS = "same_wards"  # ids: shared ward ids; score: Jaccard
    SAME_GROUPS = "same_groups"  # codes: shared target groups; score: Jaccard
    BOTH_GENERAL_PUBLIC = "both_general_public"  # neither targets a group
    GENERAL_AND_TARGETED = "general_and_targeted"  # codes: the targeted side's groups
    DATES_WITHIN = "dates_within"  # days: days apart (0 = overlapping); score: proximity
    SIMILAR_TEXT = "similar_text"  # score: TF-IDF cosine of title + description
    SAME_METHOD = "same_method"  # codes: (method,)


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    ids: tuple[int, ...] = ()
    codes: tuple[str, ...] = ()
    score: float | None = None
    days: int | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form, e.g. ``{"code": "same_wards", "ids": [3, 7], "score": 0.5}``."""
        out: dict[str, object] = {"code": self.code.value}
        if self.ids:
            out["ids"] = list(self.ids)
        if self.codes:
            out["codes"] = list(self.codes)
        if self.score is not None:
            out["score"] = self.score
        if self.days is not None:
            out["days"] = self.days
        return out


@dataclass(frozen=True, slots=True)
class ScoreComponents:
    """Each component in [0, 1]."""

    themes: float
    wards: float
    groups: float
    dates: float
    text: float
    method: float


@dataclass(frozen=True, slots=True)
class OverlapPair:
    """A possible duplicate. ``first_id < second_id``."""

    first_id: int
    second_id: int
    first_organisation_id: int
    second_organisation_id: int
    score: float
    components: ScoreComponents
    reasons: tuple[Reason, ...]

    @property
    def reason_codes(self) -> tuple[ReasonCode, ...]:
        return tuple(r.code for r in self.reasons)

    def reason(self, code: ReasonCode) -> Reason | None:
        return next((r for r in self.reasons if r.code is code), None)


@dataclass(frozen=True, slots=True)
class OverlapWeights:
    themes: float = 0.20
    wards: float = 0.20
    groups: float = 0.10
    dates: float = 0.15
    text: float = 0.30
    method: float = 0.05

    def __post_init__(self) -> None:
        values = (self.themes, self.wards, self.groups, self.dates, self.text, self.method)
        if any(v < 0 for v in values) or sum(values) <= 0:
            raise ValueError("weights must be non-negative and not all zero")

    @property
    def total(self) -> float:
        return self.themes + self.wards + self.groups + self.dates + self.text + self.method


@dataclass(frozen=True, slots=True)
class OverlapConfig:
    """Settings of :func:`find_overlaps`.

    ``window_days``: largest gap between the two date ranges (0 = must share a day).
    ``min_score``: pairs scoring below it (after rounding to 4 places) are left out.
    ``require_group_overlap``: two targeted activities with no group in common are skipped.
    ``general_public_group_score``: group component for general public against targeted.
    ``text_reason_threshold``: cosine from which SIMILAR_TEXT is given as a reason.
    ``statuses``: only activities with these statuses are compared (``None`` = all).
    """

    window_days: int = 90
    min_score: float = 0.6
    weights: OverlapWeights = field(default_factory=OverlapWeights)
    require_group_overlap: bool = True
    general_public_group_score: float = 0.5
    text_reason_threshold: float = 0.2  # emit SIMILAR_TEXT at or above this cosine
    statuses: frozenset[str] | None = None  # None = every status

    def __post_init__(self) -> None:
        if self.window_days < 0:
            raise ValueError("window_days must be >= 0")
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError("min_score must be in [0, 1]")
        if not 0.0 <= self.general_public_group_score <= 1.0:
            raise ValueError("general_public_group_score must be in [0, 1]")


# --------------------------------------------------------------------------------------------
# Blocking
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Indexed:
    record: ActivityRecord
    organisation_id: int
    start: int  # date ordinals
    end: int
    themes: int  # bit masks
    wards: int
    groups: int
    theme_bits: tuple[int, ...]


def _bit_positions(values: Iterable[_Key]) -> dict[_Key, int]:
    return {value: position for position, value in enumerate(sorted(set(values)))}


def _mask(values: Iterable[_Key], positions: Mapping[_Key, int]) -> int:
    mask = 0
    for value in values:
        mask |= 1 << positions[value]
    return mask


def _index(activities: Sequence[ActivityRecord]) -> list[_Indexed]:
    if len({a.id for a in activities}) != len(activities):
        raise ValueError("activity ids must be unique")
    theme_pos = _bit_positions(t for a in activities for t in a.theme_ids)
    ward_pos = _bit_positions(w for a in activities for w in a.ward_ids)
    group_pos = _bit_positions(g for a in activities for g in a.target_groups)
    indexed = [
        _Indexed(
            record=a,
            organisation_id=a.organisation_id,
            start=a.start_date.toordinal(),
            end=a.end_date.toordinal(),
            themes=_mask(a.theme_ids, theme_pos),
            wards=_mask(a.ward_ids, ward_pos),
            groups=_mask(a.target_groups, group_pos),
            theme_bits=tuple(sorted(theme_pos[t] for t in a.theme_ids)),
        )
        for a in activities
    ]
    indexed.sort(key=lambda x: (x.start, x.record.id))
    return indexed


def _blocked_pairs(
    indexed: list[_Indexed], window_days: int, different_organisations: bool
) -> Iterator[tuple[_Indexed, _Indexed]]:
    active: dict[int, list[_Indexed]] = defaultdict(list)
    for current in indexed:
        threshold = current.start - window_days
        org = current.organisation_id
        wards = current.wards
        themes = current.themes
        for bit in current.theme_bits:
            own = 1 << bit
            kept: list[_Indexed] = []
            for other in active[bit]:
                if other.end < threshold:
                    continue  # ended too long ago for this and every later activity
                kept.append(other)
                if different_organisations and other.organisation_id == org:
                    continue
                if not other.wards & wards:
                    continue
                common = other.themes & themes
                if common & -common != own:
                    continue  # emitted from the list of the lowest shared theme instead
                yield other, current
            kept.append(current)
            active[bit] = kept


def iter_candidate_pairs(
    activities: Sequence[ActivityRecord],
    window_days: int,
    *,
    different_organisations: bool = True,
) -> Iterator[tuple[ActivityRecord, ActivityRecord]]:
    """Pairs sharing >= 1 theme and >= 1 ward, at most ``window_days`` apart.

    ``window_days == 0`` yields exactly the pairs whose date ranges share a day. Each pair is
    yielded once, earlier-starting activity first. Raises ``ValueError`` on duplicate ids.
    """
    if window_days < 0:
        raise ValueError("window_days must be >= 0")
    indexed = _index(activities)
    for first, second in _blocked_pairs(indexed, window_days, different_organisations):
        yield first.record, second.record


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


def _mask_jaccard(a: int, b: int) -> float:
    union = (a | b).bit_count()
    return (a & b).bit_count() / union if union else 0.0


def _group_reason(a: frozenset[str], b: frozenset[str], score: float) -> Reason | None:
    if not a and not b:
        return Reason(ReasonCode.BOTH_GENERAL_PUBLIC)
    if not a or not b:
        return Reason(ReasonCode.GENERAL_AND_TARGETED, codes=tuple(sorted(a or b)))
    shared = a & b
    if not shared:
        return None
    return Reason(ReasonCode.SAME_GROUPS, codes=tuple(sorted(shared)), score=round(score, 4))


def _reasons(
    first: ActivityRecord,
    second: ActivityRecord,
    components: ScoreComponents,
    apart: int,
    config: OverlapConfig,
) -> tuple[Reason, ...]:
    reasons: list[Reason] = [
        Reason(
            ReasonCode.SAME_THEMES,
            ids=tuple(sorted(first.theme_ids & second.theme_ids)),
            score=round(components.themes, 4),
        ),
        Reason(
            ReasonCode.SAME_WARDS,
            ids=tuple(sorted(first.ward_ids & second.ward_ids)),
            score=round(components.wards, 4),
        ),
    ]
    group_reason = _group_reason(first.target_groups, second.target_groups, components.groups)
    if group_reason is not None:
        reasons.append(group_reason)
    reasons.append(Reason(ReasonCode.DATES_WITHIN, days=apart, score=round(components.dates, 4)))
    if components.text >= config.text_reason_threshold:
        reasons.append(Reason(ReasonCode.SIMILAR_TEXT, score=round(components.text, 4)))
    if components.method:
        reasons.append(Reason(ReasonCode.SAME_METHOD, codes=(first.method,)))
    return tuple(reasons)


def find_overlaps(
    activities: Iterable[ActivityRecord],
    config: OverlapConfig | None = None,
) -> tuple[OverlapPair, ...]:
    """Possible duplicate consultations by different organisations, best first.

    Sorted by score descending, then ``(first_id, second_id)``. Raises ``ValueError`` on
    duplicate activity ids.
    """
    cfg = config or OverlapConfig()
    pool = [a for a in activities if cfg.statuses is None or a.status in cfg.statuses]
    w = cfg.weights
    total_weight = w.total
    window = cfg.window_days
    general_score = cfg.general_public_group_score
    floor = cfg.min_score - 5e-5  # scores are rounded to 4 places before the threshold
    text_index: TextIndex | None = None
    results: list[OverlapPair] = []

    for first, second in _blocked_pairs(_index(pool), window, True):
        if not first.groups and not second.groups:
            groups_score = 1.0
        elif not first.groups or not second.groups:
            groups_score = general_score
        elif first.groups & second.groups:
            groups_score = _mask_jaccard(first.groups, second.groups)
        elif cfg.require_group_overlap:
            continue  # asking different people is not duplication
        else:
            groups_score = 0.0
        # Both masks are non-empty (blocking guarantees a shared theme and ward).
        themes_score = (first.themes & second.themes).bit_count() / (
            first.themes | second.themes
        ).bit_count()
        wards_score = (first.wards & second.wards).bit_count() / (
            first.wards | second.wards
        ).bit_count()
        apart = max(0, second.start - min(first.end, second.end))  # second starts later
        dates_score = 1.0 if apart == 0 else (1.0 - apart / window if window else 0.0)
        a, b = first.record, second.record
        method_score = 1.0 if a.method == b.method else 0.0
        structural = (
            w.themes * themes_score
            + w.wards * wards_score
            + w.groups * groups_score
            + w.dates * dates_score
            + w.method * method_score
        )
        if (structural + w.text) / total_weight < floor:
            continue  # even identical text could not lift it over the threshold
        if text_index is None:
            text_index = TextIndex.build({x.id: _activity_text(x) for x in pool})
        text_score = text_index.similarity(a.id, b.id)
        # The threshold applies to the score as reported (rounded to 4 places).
        score = round((structural + w.text * text_score) / total_weight, 4)
        if score < cfg.min_score:
            continue
        components = ScoreComponents(
            themes=themes_score,
            wards=wards_score,
            groups=groups_score,
            dates=dates_score,
            text=text_score,
            method=method_score,
        )
        low, high = (a, b) if a.id < b.id else (b, a)
        results.append(
            OverlapPair(
                first_id=low.id,
                second_id=high.id,
                first_organisation_id=low.organisation_id,
                second_organisation_id=high.organisation_id,
                score=score,
                components=components,
                reasons=_reasons(low, high, components, apart, cfg),
            )
        )
    results.sort(key=lambda p: (-p.score, p.first_id, p.second_id))
    return tuple(results)
