"""Read and write Pabulib ``.pb`` files (format: https://pabulib.org/format).

A ``.pb`` file has three sections, each a title line (``META``, ``PROJECTS``, ``VOTES``), a
header line and ``;``-separated rows with standard CSV quoting (a field holding ``;`` or ``"``
is enclosed in double quotes, inner quotes doubled). Fields are stripped of surrounding
whitespace, as pabutools does. Vote types: ``approval``, ``choose-1`` (approval with at most
one project), ``ordinal`` (``vote`` is the ranking, best first; an optional ``points`` column
is kept but the rules score ranks), ``cumulative`` and ``scoring`` (``points`` aligned with
``vote``).

Money is parsed exactly: ``budget`` and every ``cost`` are decimal strings (``.`` or ``,`` as
decimal mark, e.g. ``2828094.61``); with ``d`` the most decimal places written in any of them,
``Instance.unit_scale = 10**d`` and every amount is an integer number of those units. The writer
prints amounts with exactly ``d`` decimals, so ``parse_pb(write_pb(e)) == e`` for every election
whose ``unit_scale`` is a power of ten (other scales cannot be written in decimal). Points are
``int`` or, when written with decimals, exact ``Fraction``.

:class:`PbElection` keeps everything else in the file: the other META rows in order, the
project and vote headers, every other column as stripped strings, and voter ids. ``budget``,
``vote_type``, ``num_projects`` and ``num_votes`` are not kept in ``meta``: they are what the
instance and profile say, and the writer emits them from there (after the leading
description/country/unit/subunit/district/instance rows).

Parsing is a single ``csv.reader`` pass; identical votes share one :class:`Ballot` object (the
tally counts them by identity), so large files cost little more than reading the text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import chain
from operator import attrgetter, itemgetter
from pathlib import Path

from engage.budgeting.rules import Ballot, Instance, Points, Profile, Project, VoteType

__all__ = [
    "PbElection",
    "PbFormatError",
    "parse_pb",
    "read_pb",
    "write_pb",
]

SECTIONS = ("meta", "projects", "votes")
DERIVED_META = ("num_projects", "num_votes", "budget", "vote_type")
_LEADING_META = frozenset({"description", "country", "unit", "subunit", "district", "instance"})
_AMOUNT = re.compile(r"(\d+)(?:[.,](\d*))?")
_POINTS = re.compile(r"[+-]?\d+(?:[.,]\d*)?")
_VOTES_TITLE = re.compile(r"^[ \t]*votes[ \t;]*\r?$", re.MULTILINE | re.IGNORECASE)
_PADDING = ("; ", " ;", ";\t", "\t;", "\n ", " \n", " \r", "\n\t", "\t\n", "\t\r")


def _padded(text: str, start: int) -> bool:
    """Does any field from ``start`` on have surrounding blanks (so rows must be stripped)?"""
    if text.find(" ", start) == -1 and text.find("\t", start) == -1:
        return False  # two scans instead of ten in the usual case
    if text[start:start + 1] in (" ", "\t") or text.endswith((" ", "\t")):
        return True
    return any(text.find(pad, start) != -1 for pad in _PADDING)


class PbFormatError(ValueError):
    """The text is not a valid Pabulib file (message says where)."""


@dataclass(frozen=True, slots=True)
class PbElection:
    """One Pabulib election: what the tally needs plus the rest of the file, losslessly.

    ``project_fields[i]`` holds the values of the ``project_header`` columns other than
    ``project_id`` and ``cost`` for ``instance.projects[i]``; ``vote_fields[v]`` the values of
    the ``vote_header`` columns other than ``voter_id``, ``vote`` and (except for approval)
    ``points`` for ``profile.ballots[v]``. Defaults: no extra columns, voter ids ``1..n``.
    """

    instance: Instance
    profile: Profile
    meta: tuple[tuple[str, str], ...] = ()
    project_header: tuple[str, ...] = ("project_id", "cost")
    project_fields: tuple[tuple[str, ...], ...] = ()
    vote_header: tuple[str, ...] = ()
    voter_ids: tuple[str, ...] = ()
    vote_fields: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        n_projects = len(self.instance.projects)
        n_votes = len(self.profile.ballots)
        meta = tuple((str(k), str(v)) for k, v in self.meta)
        if any(k in DERIVED_META for k, _ in meta):
            raise ValueError(f"meta must not hold {DERIVED_META}: they come from the data")
        object.__setattr__(self, "meta", meta)
        project_header = tuple(self.project_header)
        for column in ("project_id", "cost"):
            if project_header.count(column) != 1:
                raise ValueError(f"project header needs exactly one {column!r} column")
        extra = len(project_header) - 2
        fields = tuple(tuple(f) for f in self.project_fields) or ((("",) * extra,) * n_projects)
        if len(fields) != n_projects or any(len(f) != extra for f in fields):
            raise ValueError("project_fields must give every extra column for every project")
        object.__setattr__(self, "project_header", project_header)
        object.__setattr__(self, "project_fields", fields)

        vote_type = self.profile.vote_type
        vote_header = tuple(self.vote_header)
        if not vote_header:
            vote_header = ("voter_id", "vote")
            if vote_type in (VoteType.CUMULATIVE, VoteType.SCORING):
                vote_header += ("points",)
        for column in _special_vote_columns(vote_type, vote_header):
            if vote_header.count(column) != 1:
                raise ValueError(f"vote header needs exactly one {column!r} column")
        if vote_type in (VoteType.CUMULATIVE, VoteType.SCORING) and "points" not in vote_header:
            raise ValueError(f"{vote_type} votes need a 'points' column")
        extra = len(vote_header) - len(_special_vote_columns(vote_type, vote_header))
        voter_ids = tuple(self.voter_ids) or tuple(str(i) for i in range(1, n_votes + 1))
        vote_fields = tuple(self.vote_fields) or ((("",) * extra,) * n_votes)
        if len(voter_ids) != n_votes or len(vote_fields) != n_votes:
            raise ValueError("voter_ids and vote_fields must have one entry per ballot")
        if any(len(f) != extra for f in vote_fields):
            raise ValueError("vote_fields must give every extra column for every ballot")
        object.__setattr__(self, "vote_header", vote_header)
        object.__setattr__(self, "voter_ids", voter_ids)
        object.__setattr__(self, "vote_fields", vote_fields)

    def meta_value(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.meta:
            if k == key:
                return v
        return default


def _special_vote_columns(vote_type: VoteType, header: Sequence[str]) -> tuple[str, ...]:
    if vote_type in (VoteType.APPROVAL, VoteType.CHOOSE_ONE) or "points" not in header:
        return ("voter_id", "vote")
    return ("voter_id", "vote", "points")


# --------------------------------------------------------------------------------------------
# Numbers


def _parse_amount(text: str, where: str) -> tuple[int, int]:
    """``"2828094.61"`` -> (282809461, 2): integer digits and decimal places, exactly."""
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise PbFormatError(f"{where}: {text!r} is not a non-negative decimal amount")
    whole, frac = match.group(1), match.group(2) or ""
    return int(whole + frac), len(frac)


def _format_amount(units: int, decimals: int) -> str:
    if decimals == 0:
        return str(units)
    whole, frac = divmod(units, 10**decimals)
    return f"{whole}.{frac:0{decimals}d}"


def _parse_points(text: str, where: str) -> Points:
    text = text.strip()
    if _POINTS.fullmatch(text) is None:
        raise PbFormatError(f"{where}: {text!r} is not a number of points")
    if text.lstrip("+-").isdigit():
        return int(text)
    value = Fraction(text.replace(",", "."))
    return int(value) if value.denominator == 1 else value


def _format_points(value: Points) -> str:
    if isinstance(value, int):
        return str(value)
    if value.denominator == 1:
        return str(value.numerator)
    den = value.denominator
    decimals = 0
    while (10**decimals) % den:  # the first power of ten that den divides
        decimals += 1
        if decimals > 64:
            raise ValueError(f"points {value} cannot be written as a decimal")
    sign = "-" if value < 0 else ""
    return sign + _format_amount(abs(value.numerator) * (10**decimals // den), decimals)


def _decimals(unit_scale: int) -> int:
    decimals = len(str(unit_scale)) - 1
    if 10**decimals != unit_scale:
        raise ValueError(f"unit_scale {unit_scale} is not a power of ten: cannot write decimals")
    return decimals


# --------------------------------------------------------------------------------------------
# Reading


def _section_title(row: list[str]) -> str | None:
    if row and row[0].strip().lower() in SECTIONS and not any(f.strip() for f in row[1:]):
        return row[0].strip().lower()
    return None


def _split_ids(vote: str) -> tuple[str, ...]:
    if not vote:
        return ()
    ids = tuple(vote.split(","))
    if " " in vote or "\t" in vote:
        ids = tuple(map(str.strip, ids))
    if "" in ids:  # pabutools skips empty names ("1,,2", trailing comma)
        ids = tuple(filter(None, ids))
    return ids


def parse_pb(text: str) -> PbElection:
    """Parse the text of a ``.pb`` file (see the module docstring). Raises PbFormatError."""
    if text.startswith("\ufeff"):
        text = text[1:]
    # Only strip vote rows one by one when some field of the VOTES section has padding.
    at = text.find("\nVOTES")
    if at == -1:
        found = _VOTES_TITLE.search(text)
        at = found.start() if found else 0
    strip = _padded(text, at + 1)
    # skipinitialspace: a quoted field may follow "; " (as in the format's own example).
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", skipinitialspace=True)
    meta: list[tuple[str, str]] = []
    project_header: tuple[str, ...] | None = None
    project_rows: list[list[str]] = []
    vote_header: tuple[str, ...] | None = None
    vote_rows: list[list[str]] = []  # only when VOTES precedes PROJECTS/META (rare)
    ballots: list[Ballot] = []
    voter_ids: list[str] = []
    vote_fields: list[tuple[str, ...]] = []
    raw_votes: dict[tuple[str, str], Ballot] = {}
    section: str | None = None
    header_due = False
    vote_type: VoteType | None = None

    for row in reader:
        row = [f.strip() for f in row]
        if not row or (len(row) == 1 and not row[0]):
            continue
        title = _section_title(row)
        if title is not None:
            section, header_due = title, True
            continue
        line = reader.line_num
        if header_due:
            header = tuple(f.strip() for f in row)
            if section == "projects":
                project_header = header
            elif section == "votes":
                vote_header = header
            header_due = False
            continue
        if section == "meta":
            if len(row) < 2:
                raise PbFormatError(f"line {line}: META row needs a key and a value")
            meta.append((row[0].strip(), ";".join(row[1:]).strip()))
        elif section == "projects":
            project_rows.append(row)
        elif section == "votes":
            assert vote_header is not None
            if vote_type is None:
                vote_type = _vote_type(meta)
            if vote_type is None:
                vote_rows.append(row)
                continue
            # Fast path: the whole rest of the section in one loop.
            _read_votes(reader, row, vote_header, vote_type, strip, ballots, voter_ids,
                        vote_fields, raw_votes)
            section = None
        else:
            raise PbFormatError(f"line {line}: data before any META/PROJECTS/VOTES title")

    if vote_type is None:
        vote_type = _vote_type(meta)
    if vote_type is None:
        raise PbFormatError("META needs a vote_type")
    if vote_rows:
        assert vote_header is not None
        _read_votes(iter(vote_rows[1:]), vote_rows[0], vote_header, vote_type, False, ballots,
                    voter_ids, vote_fields, raw_votes)
    if project_header is None:
        raise PbFormatError("no PROJECTS section")
    if vote_header is None:
        raise PbFormatError("no VOTES section")
    meta_map = dict(meta)
    if "budget" not in meta_map:
        raise PbFormatError("META needs a budget")

    # Money: exact decimals scaled to integer units.
    budget_digits, budget_places = _parse_amount(meta_map["budget"], "META budget")
    for column in ("project_id", "cost"):
        if project_header.count(column) != 1:
            raise PbFormatError(f"PROJECTS header needs exactly one {column!r} column")
    i_id, i_cost = project_header.index("project_id"), project_header.index("cost")
    extra_idx = [i for i in range(len(project_header)) if i not in (i_id, i_cost)]
    amounts = []
    for row in project_rows:
        if len(row) != len(project_header):
            raise PbFormatError(f"project {row[0]!r}: {len(row)} fields for "
                                f"{len(project_header)} columns")
        amounts.append(_parse_amount(row[i_cost].strip(), f"cost of project {row[i_id]!r}"))
    decimals = max([budget_places, *(places for _, places in amounts)])
    project_fields = tuple(tuple(row[i].strip() for i in extra_idx) for row in project_rows)
    try:
        projects = tuple(
            Project(row[i_id].strip(), digits * 10 ** (decimals - places))
            for row, (digits, places) in zip(project_rows, amounts, strict=True)
        )
        instance = Instance(
            budget=budget_digits * 10 ** (decimals - budget_places),
            projects=projects,
            unit_scale=10**decimals,
        )
    except ValueError as exc:
        raise PbFormatError(str(exc)) from None

    known = {p.id for p in projects}
    named = set(chain.from_iterable(map(attrgetter("projects"), raw_votes.values())))
    if not named <= known:  # the first unknown id in file order, for the message
        for ballot in raw_votes.values():
            for pid in ballot.projects:
                if pid not in known:
                    raise PbFormatError(f"a vote names unknown project {pid!r}")
    return PbElection(
        instance=instance,
        profile=Profile(vote_type, tuple(ballots)),
        meta=tuple((k, v) for k, v in meta if k not in DERIVED_META),
        project_header=project_header,
        project_fields=project_fields,
        vote_header=vote_header,
        voter_ids=tuple(voter_ids),
        vote_fields=tuple(vote_fields),
    )


def _vote_type(meta: list[tuple[str, str]]) -> VoteType | None:
    for key, value in meta:
        if key == "vote_type":
            try:
                return VoteType(value.strip().lower())
            except ValueError:
                raise PbFormatError(f"unsupported vote_type {value!r}") from None
    return None


def _read_votes(
    reader: Iterator[list[str]],
    first: list[str],
    header: tuple[str, ...],
    vote_type: VoteType,
    strip: bool,
    ballots: list[Ballot],
    voter_ids: list[str],
    vote_fields: list[tuple[str, ...]],
    raw_votes: dict[tuple[str, str], Ballot],
) -> None:
    """Read vote rows (``first`` then the rest of ``reader`` up to the next section)."""
    specials = _special_vote_columns(vote_type, header)
    for column in specials:
        if header.count(column) != 1:
            raise PbFormatError(f"VOTES header needs exactly one {column!r} column")
    if vote_type in (VoteType.CUMULATIVE, VoteType.SCORING) and "points" not in header:
        raise PbFormatError(f"{vote_type} votes need a 'points' column")
    width = len(header)
    i_id, i_vote = header.index("voter_id"), header.index("vote")
    i_points = header.index("points") if "points" in specials else None
    extra_idx = [i for i in range(width) if header[i] not in specials]
    getter: Callable[[list[str]], tuple[str, ...]]
    if not extra_idx:
        def getter(_row: list[str]) -> tuple[str, ...]:
            return ()
    elif len(extra_idx) == 1:
        only = extra_idx[0]

        def getter(row: list[str]) -> tuple[str, ...]:
            return (row[only],)
    else:
        getter = itemgetter(*extra_idx)
    add_ballot, add_id, add_fields = ballots.append, voter_ids.append, vote_fields.append
    get_raw = raw_votes.get
    with_points = i_points is not None
    i_pts = i_points if i_points is not None else i_vote

    def make(vote: str, points: str, voter: str) -> Ballot:
        ids = _split_ids(vote.strip())
        pts: tuple[Points, ...] | None = None
        if with_points:
            texts = [t for t in points.split(",") if t.strip()] if points.strip() else []
            if len(texts) != len(ids):
                raise PbFormatError(f"voter {voter!r}: {len(ids)} projects but "
                                    f"{len(texts)} points")
            pts = tuple(_parse_points(t, f"voter {voter!r}") for t in texts)
        try:
            return Ballot(ids, pts)
        except ValueError as exc:
            raise PbFormatError(f"voter {voter!r}: {exc}") from None

    rows: Iterator[list[str]] = chain([first], map(_strip_row, reader) if strip else reader)
    for row in rows:
        if len(row) != width:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if _section_title(row) is not None:
                raise PbFormatError(f"section {row[0].strip()} after VOTES is not supported")
            raise PbFormatError(f"voter {row[0]!r}: {len(row)} fields for {width} columns")
        key = (row[i_vote], row[i_pts] if with_points else "")
        ballot = get_raw(key)
        if ballot is None:
            ballot = raw_votes[key] = make(key[0], key[1], row[i_id])
        add_ballot(ballot)
        add_id(row[i_id])
        add_fields(getter(row))


def _strip_row(row: list[str]) -> list[str]:
    return [f.strip() for f in row]


def read_pb(path: str | Path) -> PbElection:
    """Parse a ``.pb`` file (UTF-8, with or without a byte order mark)."""
    return parse_pb(Path(path).read_text(encoding="utf-8-sig"))


# --------------------------------------------------------------------------------------------
# Writing


def write_pb(election: PbElection) -> str:
    """The ``.pb`` text of an election; ``parse_pb(write_pb(e)) == e``."""
    instance, profile = election.instance, election.profile
    decimals = _decimals(instance.unit_scale)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    derived = [
        ("num_projects", str(len(instance.projects))),
        ("num_votes", str(len(profile.ballots))),
        ("budget", _format_amount(instance.budget, decimals)),
        ("vote_type", str(profile.vote_type)),
    ]
    lead = 0
    while lead < len(election.meta) and election.meta[lead][0] in _LEADING_META:
        lead += 1
    writer.writerows([*election.meta[:lead], *derived, *election.meta[lead:]])

    writer.writerow(["PROJECTS"])
    header = election.project_header
    writer.writerow(header)
    i_id, i_cost = header.index("project_id"), header.index("cost")
    extra_idx = [i for i in range(len(header)) if i not in (i_id, i_cost)]
    for project, fields in zip(instance.projects, election.project_fields, strict=True):
        row = [""] * len(header)
        row[i_id] = project.id
        row[i_cost] = _format_amount(project.cost, decimals)
        for i, value in zip(extra_idx, fields, strict=True):
            row[i] = value
        writer.writerow(row)

    writer.writerow(["VOTES"])
    header = election.vote_header
    writer.writerow(header)
    specials = _special_vote_columns(profile.vote_type, header)
    i_id, i_vote = header.index("voter_id"), header.index("vote")
    i_points = header.index("points") if "points" in specials else None
    extra_idx = [i for i in range(len(header)) if header[i] not in specials]
    texts: dict[int, tuple[str, str]] = {}
    width = len(header)
    rows = []
    for ballot, voter, fields in zip(
        profile.ballots, election.voter_ids, election.vote_fields, strict=True
    ):
        text = texts.get(id(ballot))
        if text is None:
            points = ""
            if ballot.points is not None:
                points = ",".join(_format_points(p) for p in ballot.points)
            text = texts[id(ballot)] = (",".join(ballot.projects), points)
        row = [""] * width
        row[i_id] = voter
        row[i_vote] = text[0]
        if i_points is not None:
            row[i_points] = text[1]
        for i, value in zip(extra_idx, fields, strict=True):
            row[i] = value
        rows.append(row)
    writer.writerows(rows)
    return out.getvalue()
