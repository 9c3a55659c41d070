"""Question types: each class validates an answer, stores it, and summarises the results.

Adding a type is adding a class here (and listing it in QUESTION_TYPES), with an input
partial ``templates/consultations/questions/_<code>.html``. Nothing else branches on the kind.

Storage: an answer becomes rows of (item, number, text) — see models.Answer. Results arrive as
a QuestionTally: per item, the raw count and the population-weighted count, and the raw and
weighted sums of ``number``. Every summary applies disclosure control before anything is
shown (engage/disclosure.py): counts under the threshold are suppressed, with secondary
suppression wherever a total would let a reader work a hidden count out.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engage.consultations.labels import SCALE_CODES, SCALE_LABELS, YES_NO_LABELS
from engage.core.errors import EngageError
from engage.disclosure import suppress_series

MAX_OPTIONS = 30
MAX_TEXT_LENGTH = 10_000
DEFAULT_TEXT_LENGTH = 2_000
MAX_POINTS = 1_000


class AnswerInvalid(EngageError):
    """A resident's answer breaks the question's rules; the message says how to fix it."""


@dataclass(frozen=True)
class StoredItem:
    """One row of a stored answer."""

    item: str = ""
    number: float | None = None
    text: str | None = None


@dataclass
class ItemTally:
    count: int = 0
    weighted: float = 0.0
    number_sum: float = 0.0
    weighted_number_sum: float = 0.0


@dataclass
class QuestionTally:
    """Aggregated answers to one question, per stored item."""

    items: dict[str, ItemTally] = field(default_factory=dict)

    def get(self, item: str) -> ItemTally:
        return self.items.get(item, ItemTally())


@dataclass(frozen=True)
class ResultRow:
    """One line of a question's results; None means suppressed (or not applicable)."""

    code: str
    label: str
    count: int | None
    share: float | None = None
    weighted_share: float | None = None
    value: float | None = None
    weighted_value: float | None = None
    suppressed: bool = False


@dataclass(frozen=True)
class Summary:
    """What the results page shows for one question (raw and weighted side by side)."""

    template: str
    base: int | None
    base_suppressed: bool
    rows: tuple[ResultRow, ...] = ()
    mean: float | None = None
    weighted_mean: float | None = None
    value_label: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def max_share(self) -> float:
        shares = [r.share or 0.0 for r in self.rows] + [r.weighted_share or 0.0 for r in self.rows]
        return max(shares, default=0.0)

    @property
    def max_value(self) -> float:
        values = [r.value or 0.0 for r in self.rows] + [r.weighted_value or 0.0 for r in self.rows]
        return max(values, default=0.0)


def _choice_values(form: Any, name: str) -> list[str]:
    return [v for v in form.getlist(name) if v]


class QuestionType(ABC):
    """The base: subclasses set ``code`` and ``label`` and implement the four jobs."""

    code: ClassVar[str]
    label: ClassVar[Any]
    # Which builder settings the type uses (the builder shows only these).
    setting_fields: ClassVar[tuple[str, ...]] = ()
    has_options: ClassVar[bool] = False
    is_free_text: ClassVar[bool] = False

    # -- building -------------------------------------------------------------------------
    def clean_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Check the builder's settings for this type; raise EngageError(field=...) if wrong."""
        return {}

    # -- answering ------------------------------------------------------------------------
    def from_form(self, question: Any, form: Any) -> Any:
        """The raw answer from a submitted form (werkzeug MultiDict)."""
        return (form.get(question.field_name) or "").strip()

    def is_blank(self, value: Any) -> bool:
        return value in (None, "", [], {})

    @abstractmethod
    def validate(self, question: Any, value: Any) -> Any:
        """The clean answer, or None when blank; raise AnswerInvalid when it breaks a rule."""

    @abstractmethod
    def store(self, question: Any, value: Any) -> list[StoredItem]:
        """The rows a clean answer is stored as."""

    @abstractmethod
    def load(self, question: Any, items: Sequence[StoredItem]) -> Any:
        """The answer again from its stored rows (to edit a submitted response)."""

    def describe(self, question: Any, value: Any, locale: str) -> str:
        """The answer as text, for check-your-answers pages and exports."""
        return "" if value is None else str(value)

    # -- results --------------------------------------------------------------------------
    @abstractmethod
    def summarise(
        self, question: Any, tally: QuestionTally, threshold: int, locale: str
    ) -> Summary:
        """The question's results from its tally, small counts suppressed."""

    # -- helpers shared by types with options ------------------------------------------------
    @staticmethod
    def _clean_options(settings: Mapping[str, Any]) -> list[dict[str, str]]:
        options = [o for o in settings.get("options", []) if str(o.get("text", "")).strip()]
        if len(options) < 2:
            raise EngageError(_("Enter at least 2 options, one on each line"), field="options")
        if len(options) > MAX_OPTIONS:
            raise EngageError(
                _("Enter %(count)d options or fewer", count=MAX_OPTIONS), field="options"
            )
        texts = [str(o["text"]).strip().lower() for o in options]
        if len(set(texts)) != len(texts):
            raise EngageError(_("Each option must be different"), field="options")
        return [
            {
                "code": str(o.get("code") or f"o{i + 1}"),
                "text": str(o["text"]).strip(),
                "text_cy": str(o.get("text_cy") or "").strip(),
            }
            for i, o in enumerate(options)
        ]

    @staticmethod
    def _option_codes(question: Any) -> list[str]:
        return [o["code"] for o in question.options()]


def _positive_int(settings: Mapping[str, Any], key: str, default: int | None) -> int | None:
    raw = settings.get(key)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return -1
    return value


# ------------------------------------------------------------------- distributions


def _distribution(
    items: Sequence[tuple[str, str]], tally: QuestionTally, threshold: int
) -> Summary:
    """Counts over mutually exclusive items that add up to the number who answered."""
    counts = [tally.get(code).count for code, _label in items]
    weighted = [tally.get(code).weighted for code, _label in items]
    total = sum(counts)
    weighted_total = sum(weighted)
    if total == 0:
        return Summary("distribution", 0, False, tuple(ResultRow(c, lb, 0) for c, lb in items))
    published = suppress_series(counts, threshold)
    base_shown = published.total is not None
    rows: list[ResultRow] = []
    for (code, label), count, w in zip(items, published.cells, weighted, strict=True):
        shown = count is not None and base_shown
        rows.append(
            ResultRow(
                code,
                label,
                count if base_shown else None,
                share=count / total if shown and count is not None else None,
                weighted_share=w / weighted_total if shown and weighted_total > 0 else None,
                suppressed=not shown,
            )
        )
    return Summary("distribution", published.total, not base_shown, tuple(rows))


def _multi_distribution(
    items: Sequence[tuple[str, str]], tally: QuestionTally, threshold: int
) -> Summary:
    """Counts of items people could pick several of, out of the number who answered.

    Each count is published only if both it and its complement (answered but did not pick
    it) are safe, since the number who answered is published too.
    """
    head = tally.get("")
    base, weighted_base = head.count, head.weighted
    if base == 0:
        return Summary("distribution", 0, False, tuple(ResultRow(c, lb, 0) for c, lb in items))
    if base < threshold:
        hidden = tuple(ResultRow(c, lb, None, suppressed=True) for c, lb in items)
        return Summary("distribution", None, True, hidden)
    rows: list[ResultRow] = []
    base_shown = True
    for code, label in items:
        item = tally.get(code)
        published = suppress_series([item.count, base - item.count], threshold)
        if published.total is None:
            base_shown = False
        count = published.cells[0]
        rows.append(
            ResultRow(
                code,
                label,
                count,
                share=count / base if count is not None else None,
                weighted_share=(
                    item.weighted / weighted_base
                    if count is not None and weighted_base > 0
                    else None
                ),
                suppressed=count is None,
            )
        )
    if not base_shown:
        hidden = tuple(ResultRow(r.code, r.label, None, suppressed=True) for r in rows)
        return Summary("distribution", None, True, hidden)
    return Summary("distribution", base, False, tuple(rows), extra={"several": True})


class SingleChoice(QuestionType):
    code = "single_choice"
    label = _l("Single choice")
    setting_fields = ("options",)
    has_options = True

    def clean_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        return {"options": self._clean_options(settings)}

    def validate(self, question: Any, value: Any) -> Any:
        if self.is_blank(value):
            return None
        if value not in self._option_codes(question):
            raise AnswerInvalid(_("Select one of the options"), field=question.field_name)
        return value

    def store(self, question: Any, value: Any) -> list[StoredItem]:
        return [StoredItem(item=value)]

    def load(self, question: Any, items: Sequence[StoredItem]) -> Any:
        return items[0].item if items else None

    def describe(self, question: Any, value: Any, locale: str) -> str:
        return question.option_label(value, locale) if value else ""

    def summarise(
        self, question: Any, tally: QuestionTally, threshold: int, locale: str
    ) -> Summary:
        items = [(c, question.option_label(c, locale)) for c in self._option_codes(question)]
        return _distribution(items, tally, threshold)


class MultipleChoice(QuestionType):
    code = "multiple_choice"
    label = _l("Multiple choice")
    setting_fields = ("options", "max_choices")
    has_options = True

    def clean_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        options = self._clean_options(settings)
        max_choices = _positive_int(settings, "max_choices", len(options))
        if max_choices is None or not 1 <= max_choices <= len(options):
            raise EngageError(
                _("The most people can choose must be between 1 and the number of options"),
                field="max_choices",
            )
        return {"options": options, "max_choices": max_choices}

    def from_form(self, question: Any, form: Any) -> Any:
        return _choice_values(form, question.field_name)

    def validate(self, question: Any, value: Any) -> Any:
        if self.is_blank(value):
            return None
        codes = self._option_codes(question)
        chosen = list(dict.fromkeys(value))
        if any(c not in codes for c in chosen):
            raise AnswerInvalid(_("Select from the options given"), field=question.field_name)
        most = int(question.settings.get("max_choices") or len(codes))
        if len(chosen) > most:
            raise AnswerInvalid(
                _("Select %(count)d options or fewer", count=most), field=question.field_name
            )
        return [c for c in codes if c in chosen]

    def store(self, question: Any, value: Any) -> list[StoredItem]:
        return [StoredItem(), *(StoredItem(item=c) for c in value)]

    def load(self, question: Any, items: Sequence[StoredItem]) -> Any:
        return [i.item for i in items if i.item]

    def describe(self, question: Any, value: Any, locale: str) -> str:
        return "; ".join(question.option_label(c, locale) for c in value or [])

    def summarise(
        self, question: Any, tally: QuestionTally, threshold: int, locale: str
    ) -> Summary:
        items = [(c, question.option_label(c, locale)) for c in self._option_codes(question)]
        return _multi_distribution(items, tally, threshold)


class FreeText(QuestionType):
    code = "free_text"
    label = _l("Free text")
    setting_fields = ("max_length",)
    is_free_text = True

    def clean_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        length = _positive_int(settings, "max_length", DEFAULT_TEXT_LENGTH)
        if length is None or not 10 <= length <= MAX_TEXT_LENGTH:
            raise EngageError(
                _(
                    "The length limit must be between 10 and %(most)d characters",
                    most=MAX_TEXT_LENGTH,
                ),
                field="max_length",
            )
        return {"max_length": length}

    def from_form(self, question: Any, form: Any) -> Any:
        # Browsers send line breaks as CRLF; count them as one character, as the user sees them.
        return (form.get(question.field_name) or "").replace("\r\n", "\n").strip()

    def validate(self, question: Any, value: Any) -> Any:
        if self.is_blank(value):
            return None
        limit = int(question.settings.get("max_length") or DEFAULT_TEXT_LENGTH)
        if len(value) > limit:
            raise AnswerInvalid(
                _("Your answer must be %(count)d characters or fewer", count=limit),
                field=question.field_name,
            )
        return value

    def store(self, question: Any, value: Any) -> list[StoredItem]:
        return [StoredItem(text=value)]

    def load(self, question: Any, items: Sequence[StoredItem]) -> Any:
        return items[0].text if items else None

    def summarise(
        self, question: Any, tally: QuestionTally, threshold: int, locale: str
    ) -> Summary:
        base = tally.get("").count
        shown = base == 0 or base >= threshold
        return Summary("text", base if shown else None, not shown)


class AgreeScale(QuestionType):
    code = "agree_scale"
    label = _l("Agree or disagree (five-point scale)")

    def validate(self, question: Any, value: Any) -> Any:
        if self.is_blank(value):
            return None
        if value not in SCALE_CODES:
            raise AnswerInvalid(_("Select how much you agree"), field=question.field_name)
        return value

    def store(self, question: Any, value: Any) -> list[StoredItem]:
        return [StoredItem(item=value, number=float(value))]

    def load(self, question: Any, items: Sequence[StoredItem]) -> Any:
        return items[0].item if items else None

    def describe(self, question: Any, value: Any, locale: str) -> str:
        return str(SCALE_LABELS[value]) if value in SCALE_LABELS else ""

    def summarise(
        self, question: Any, tally: QuestionTally, threshold: int, locale: str
    ) -> Summary:
        items = [(c, str(SCALE_LABELS[c])) for c in SCALE_CODES]
        summary = _distribution(items, tally, threshold)
        if summary.base_suppressed or not summary.base:
            return summary
        agree = [r for r in summary.rows if r.code in ("5", "4")]
        disagree = [r for r in summary.rows if r.code in ("2", "1")]
        extra: dict[str, Any] = {}
        # A net figure only where its parts are published (else it would reveal them).
        if all(r.share is not None for r in agree + disagree):
            extra["net_agree"] = sum(r.share or 0 for r in agree) - sum(
                r.share or 0 for r in disagree
            )
            extra["weighted_net_agree"] = sum(r.weighted_share or 0 for r in agree) - sum(
                r.weighted_share or 0 for r in disagree
            )
        return Summary(summary.template, summary.base, False, summary.rows, extra=extra)


class YesNo(QuestionType):
    code = "yes_no"
    label = _l("Yes or no")

    def validate(self, question: Any, value: Any) -> Any:
        if self.is_blank(value):
            return None
        if value not in YES_NO_LABELS:
            raise AnswerInvalid(_("Select yes or no"), field=question.field_name)
        return value

    def store(self, question: Any, value: Any) -> list[StoredItem]:
        return [StoredItem(item=value)]

    def load(self, question: Any, items: Sequence[StoredItem]) -> Any:
        return items[0].item if items else None

    def describe(self, question: Any, value: Any, locale: str) -> str:
        return str(YES_NO_LABELS[value]) if value in YES_NO_LABELS else ""

    def summarise(
        self, question: Any, tally: QuestionTally, threshold: int, locale: str
    ) -> Summary:
        items = [(c, str(YES_NO_LABELS[c])) for c in ("yes", "no")]
        return _distribution(items, tally, threshold)


# ------------------------------------------------------------------- per-option numbers


def _per_option_numbers(
    question: Any,
    tally: QuestionTally,
    threshold: int,
    locale: str,
    *,
    per_respondent: bool,
    value_label: str,
    lower_is_better: bool,
) -> Summary:
    """A mean per option (rank, or points), over those who answered the question."""
    head = tally.get("")
    base = head.count
    codes = [o["code"] for o in question.options()]
    if base == 0:
        empty = tuple(ResultRow(c, question.option_label(c, locale), None) for c in codes)
        return Summary("means", 0, False, empty, value_label=value_label)
    if base < threshold:
        hidden = tuple(
            ResultRow(c, question.option_label(c, locale), None, suppressed=True) for c in codes
        )
        return Summary("means", None, True, hidden, value_label=value_label)
    rows: list[ResultRow] = []
    for code in codes:
        item = tally.get(code)
        value: float | None
        if per_respondent:
            value = item.number_sum / base
            weighted = item.weighted_number_sum / head.weighted if head.weighted else None
        else:
            value = item.number_sum / item.count if item.count else None
            weighted = item.weighted_number_sum / item.weighted if item.weighted > 0 else None
        rows.append(
            ResultRow(
                code,
                question.option_label(code, locale),
                None,
                value=value,
                weighted_value=weighted,
            )
        )

    def order(row: ResultRow) -> float:
        v = row.value if row.value is not None else math.inf
        return v if lower_is_better else -v

    rows.sort(key=order)
    return Summary(
        "means",
        base,
        False,
        tuple(rows),
        value_label=value_label,
        extra={"lower_is_better": lower_is_better},
    )


class Ranking(QuestionType):
    code = "ranking"
    label = _l("Rank these options")
    setting_fields = ("options",)
    has_options = True

    def clean_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        return {"options": self._clean_options(settings)}

    def from_form(self, question: Any, form: Any) -> Any:
        return {
            code: (form.get(f"{question.field_name}-{code}") or "").strip()
            for code in self._option_codes(question)
        }

    def is_blank(self, value: Any) -> bool:
        return not value or all(v in ("", None) for v in value.values())

    def validate(self, question: Any, value: Any) -> Any:
        if self.is_blank(value):
            return None
        codes = self._option_codes(question)
        ranks: dict[str, int] = {}
        for code in codes:
            raw = value.get(code)
            try:
                rank = int(raw)
            except (TypeError, ValueError):
                raise AnswerInvalid(
                    _("Give every option a different rank, from 1 to %(count)d", count=len(codes)),
                    field=question.field_name,
                ) from None
            ranks[code] = rank
        if sorted(ranks.values()) != list(range(1, len(codes) + 1)):
            raise AnswerInvalid(
                _("Give every option a different rank, from 1 to %(count)d", count=len(codes)),
                field=question.field_name,
            )
        return {code: ranks[code] for code in codes}

    def store(self, question: Any, value: Any) -> list[StoredItem]:
        return [StoredItem(), *(StoredItem(item=c, number=float(r)) for c, r in value.items())]

    def load(self, question: Any, items: Sequence[StoredItem]) -> Any:
        return {i.item: int(i.number or 0) for i in items if i.item}

    def describe(self, question: Any, value: Any, locale: str) -> str:
        if not value:
            return ""
        ordered = sorted(value.items(), key=lambda kv: kv[1])
        return " > ".join(question.option_label(c, locale) for c, _rank in ordered)

    def summarise(
        self, question: Any, tally: QuestionTally, threshold: int, locale: str
    ) -> Summary:
        return _per_option_numbers(
            question,
            tally,
            threshold,
            locale,
            per_respondent=False,
            value_label=_("Average rank (1 is highest)"),
            lower_is_better=True,
        )


class Points(QuestionType):
    code = "points"
    label = _l("Share out points")
    setting_fields = ("options", "points")
    has_options = True

    def clean_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        options = self._clean_options(settings)
        points = _positive_int(settings, "points", 100)
        if points is None or not 1 <= points <= MAX_POINTS:
            raise EngageError(
                _("The points to share out must be between 1 and %(most)d", most=MAX_POINTS),
                field="points",
            )
        return {"options": options, "points": points}

    def from_form(self, question: Any, form: Any) -> Any:
        return {
            code: (form.get(f"{question.field_name}-{code}") or "").strip()
            for code in self._option_codes(question)
        }

    def is_blank(self, value: Any) -> bool:
        return not value or all(v in ("", None) for v in value.values())

    def validate(self, question: Any, value: Any) -> Any:
        if self.is_blank(value):
            return None
        total_points = int(question.settings.get("points") or 100)
        clean: dict[str, int] = {}
        for code in self._option_codes(question):
            raw = value.get(code)
            if raw in ("", None):
                clean[code] = 0
                continue
            try:
                points = int(str(raw).strip())
            except ValueError:
                raise AnswerInvalid(
                    _("Points must be whole numbers, like 10"), field=question.field_name
                ) from None
            if points < 0:
                raise AnswerInvalid(_("Points cannot be negative"), field=question.field_name)
            clean[code] = points
        if sum(clean.values()) != total_points:
            raise AnswerInvalid(
                _(
                    "Your points must add up to %(total)d (they add up to %(given)d)",
                    total=total_points,
                    given=sum(clean.values()),
                ),
                field=question.field_name,
            )
        return clean

    def store(self, question: Any, value: Any) -> list[StoredItem]:
        return [
            StoredItem(),
            *(StoredItem(item=c, number=float(p)) for c, p in value.items() if p),
        ]

    def load(self, question: Any, items: Sequence[StoredItem]) -> Any:
        given = {i.item: int(i.number or 0) for i in items if i.item}
        return {c: given.get(c, 0) for c in self._option_codes(question)}

    def describe(self, question: Any, value: Any, locale: str) -> str:
        if not value:
            return ""
        return "; ".join(f"{question.option_label(c, locale)}: {p}" for c, p in value.items() if p)

    def summarise(
        self, question: Any, tally: QuestionTally, threshold: int, locale: str
    ) -> Summary:
        return _per_option_numbers(
            question,
            tally,
            threshold,
            locale,
            per_respondent=True,
            value_label=_("Average points given"),
            lower_is_better=False,
        )


class Number(QuestionType):
    code = "number"
    label = _l("Number")
    setting_fields = ("min_value", "max_value", "whole_numbers")

    def clean_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        clean: dict[str, Any] = {"whole_numbers": bool(settings.get("whole_numbers"))}
        for key in ("min_value", "max_value"):
            raw = settings.get(key)
            if raw in (None, ""):
                clean[key] = None
                continue
            try:
                clean[key] = float(raw)
            except (TypeError, ValueError):
                raise EngageError(_("Enter a number"), field=key) from None
        if (
            clean["min_value"] is not None
            and clean["max_value"] is not None
            and clean["min_value"] > clean["max_value"]
        ):
            raise EngageError(
                _("The smallest allowed number must not be more than the largest"),
                field="min_value",
            )
        return clean

    def validate(self, question: Any, value: Any) -> Any:
        if self.is_blank(value):
            return None
        text = str(value).replace(",", "").strip()
        try:
            number = float(text)
        except ValueError:
            raise AnswerInvalid(_("Enter a number, like 12"), field=question.field_name) from None
        if not math.isfinite(number):
            raise AnswerInvalid(_("Enter a number, like 12"), field=question.field_name)
        settings = question.settings
        if settings.get("whole_numbers") and not number.is_integer():
            raise AnswerInvalid(_("Enter a whole number, like 12"), field=question.field_name)
        low, high = settings.get("min_value"), settings.get("max_value")
        if (low is not None and number < low) or (high is not None and number > high):
            raise AnswerInvalid(
                _(
                    "Enter a number between %(low)s and %(high)s",
                    low=_number_text(low) if low is not None else "–",
                    high=_number_text(high) if high is not None else "–",
                ),
                field=question.field_name,
            )
        return int(number) if number.is_integer() else number

    def store(self, question: Any, value: Any) -> list[StoredItem]:
        return [StoredItem(number=float(value))]

    def load(self, question: Any, items: Sequence[StoredItem]) -> Any:
        if not items or items[0].number is None:
            return None
        number = items[0].number
        return int(number) if number.is_integer() else number

    def summarise(
        self, question: Any, tally: QuestionTally, threshold: int, locale: str
    ) -> Summary:
        head = tally.get("")
        if head.count == 0:
            return Summary("number", 0, False)
        if head.count < threshold:
            return Summary("number", None, True)
        return Summary(
            "number",
            head.count,
            False,
            mean=head.number_sum / head.count,
            weighted_mean=head.weighted_number_sum / head.weighted if head.weighted else None,
        )


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


QUESTION_TYPES: dict[str, QuestionType] = {
    t.code: t()
    for t in (
        SingleChoice,
        MultipleChoice,
        FreeText,
        AgreeScale,
        Ranking,
        Points,
        Number,
        YesNo,
    )
}


def question_type(code: str) -> QuestionType:
    """The question type class (instance) for a stored kind."""
    try:
        return QUESTION_TYPES[code]
    except KeyError:
        raise EngageError(_("Choose a type of question"), field="kind") from None
