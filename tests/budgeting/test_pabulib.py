"""Tests for the Pabulib .pb reader and writer (engage.budgeting.pabulib)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from engage.budgeting.pabulib import PbElection, PbFormatError, parse_pb, read_pb, write_pb
from engage.budgeting.rules import Ballot, Instance, Profile, Project, VoteType

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pabulib"

SAMPLE = (
    "\ufeffMETA\r\n"
    "key; value\r\n"
    "description; Municipal PB in Wieliczka\r\n"
    "country; Poland\r\n"
    "unit; Wieliczka\r\n"
    "instance; 2020\r\n"
    "num_projects; 3\r\n"
    "num_votes; 4\r\n"
    "budget; 2500.5\r\n"
    "rule; greedy\r\n"
    "vote_type; approval\r\n"
    'comment; "#1: semicolons; and ""quotes"" survive"\r\n'
    "PROJECTS\r\n"
    "project_id; cost; name; category\r\n"
    '1; 600; "Trees; more trees"; "culture,education"\r\n'
    "2; 800,25; Bikes; sport\r\n"
    "4; 1400; Park; None\r\n"
    "VOTES\r\n"
    "voter_id; age; sex; vote\r\n"
    "a; 34; f; 1,2,4\r\n"
    "b; 51; m; 1, 2\r\n"
    "c; 23; m;\r\n"
    "d; 19; f; 1,2\r\n"
)


def test_parse_sample() -> None:
    e = parse_pb(SAMPLE)
    # Most decimals written: 2 ("800,25" with a decimal comma), so amounts are in hundredths.
    assert e.instance == Instance(
        budget=250050,
        projects=(Project("1", 60000), Project("2", 80025), Project("4", 140000)),
        unit_scale=100,
    )
    assert e.profile.vote_type is VoteType.APPROVAL
    assert [b.projects for b in e.profile.ballots] == [("1", "2", "4"), ("1", "2"), (), ("1", "2")]
    assert all(b.points is None for b in e.profile.ballots)
    assert e.meta == (
        ("description", "Municipal PB in Wieliczka"),
        ("country", "Poland"),
        ("unit", "Wieliczka"),
        ("instance", "2020"),
        ("rule", "greedy"),
        ("comment", '#1: semicolons; and "quotes" survive'),
    )
    assert e.meta_value("rule") == "greedy"
    assert e.project_header == ("project_id", "cost", "name", "category")
    assert e.project_fields == (
        ("Trees; more trees", "culture,education"), ("Bikes", "sport"), ("Park", "None"))
    assert e.vote_header == ("voter_id", "age", "sex", "vote")
    assert e.voter_ids == ("a", "b", "c", "d")
    assert e.vote_fields == (("34", "f"), ("51", "m"), ("23", "m"), ("19", "f"))


def test_identical_votes_share_one_ballot() -> None:
    ballots = parse_pb(SAMPLE.replace("1, 2", "1,2")).profile.ballots
    assert ballots[1] is ballots[3]


def test_round_trip_sample() -> None:
    e = parse_pb(SAMPLE)
    text = write_pb(e)
    assert parse_pb(text) == e
    assert write_pb(parse_pb(text)) == text
    assert '"Trees; more trees"' in text
    assert '"#1: semicolons; and ""quotes"" survive"' in text
    assert "budget;2500.50\n" in text  # written with the instance's two decimals
    assert "\n2;800.25;Bikes;sport\n" in text


def header(vote_type: str, votes_header: str, budget: str = "100") -> str:
    return (
        "META\nkey;value\ndescription;d\ncountry;c\nunit;u\ninstance;i\n"
        f"budget;{budget}\nvote_type;{vote_type}\n"
        "PROJECTS\nproject_id;cost\nA;10\nB;20\nC;30\n"
        f"VOTES\n{votes_header}\n"
    )


@pytest.mark.parametrize(
    ("vote_type", "rows", "ballots"),
    [
        ("ordinal", "voter_id;vote;points\n1;B,A,C;3,2,1\n2;C;1\n",
         [Ballot(("B", "A", "C"), (3, 2, 1)), Ballot(("C",), (1,))]),
        ("cumulative", "voter_id;vote;points\n1;A,C;7,3\n2;;\n",
         [Ballot(("A", "C"), (7, 3)), Ballot((), ())]),
        ("scoring", "voter_id;vote;points\n1;A,B;-2,1.5\n",
         [Ballot(("A", "B"), (-2, Fraction(3, 2)))]),
        ("choose-1", "voter_id;vote\n1;B\n2;A\n", [Ballot(("B",)), Ballot(("A",))]),
        ("ordinal", "voter_id;vote\n1;C,B\n", [Ballot(("C", "B"))]),
    ],
)
def test_vote_types(vote_type: str, rows: str, ballots: list[Ballot]) -> None:
    text = header(vote_type, rows.split("\n", 1)[0]) + rows.split("\n", 1)[1]
    e = parse_pb(text)
    assert e.profile.vote_type == vote_type
    assert list(e.profile.ballots) == ballots
    assert parse_pb(write_pb(e)) == e


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (header("approval", "voter_id;vote") + "1;A,D\n", "unknown project 'D'"),
        (header("approval", "voter_id;vote") + "1;A,A\n", "twice"),
        (header("cumulative", "voter_id;vote;points") + "1;A,B;3\n", "2 projects but 1 points"),
        (header("cumulative", "voter_id;vote") + "1;A\n", "points"),
        (header("approval", "voter_id;vote", budget="1e6") + "1;A\n", "decimal amount"),
        (header("approval", "voter_id;vote", budget="-5") + "1;A\n", "decimal amount"),
        (header("ranked", "voter_id;vote") + "1;A\n", "unsupported vote_type"),
        (header("approval", "voter_id;ballot") + "1;A\n", "'vote' column"),
        (header("approval", "voter_id;vote") + "1;A;extra\n", "3 fields for 2 columns"),
        (header("approval", "voter_id;vote").replace("budget;100\n", "") + "1;A\n",
         "needs a budget"),
        (header("cumulative", "voter_id;vote;points") + "1;A;x\n", "number of points"),
        (header("approval", "voter_id;vote").replace("\nB;20\n", "\n;20\n") + "1;A\n",
         "non-empty"),
        (header("approval", "voter_id;vote").replace("\nB;20\n", "\nA;20\n") + "1;A\n",
         "duplicate project ids"),
    ],
)
def test_format_errors(text: str, message: str) -> None:
    with pytest.raises(PbFormatError, match=message):
        parse_pb(text)


def test_elections_built_from_dataclasses_round_trip() -> None:
    e = PbElection(
        instance=Instance(123456, (Project("x", 100001), Project("y;z", 5)), unit_scale=1000),
        profile=Profile(VoteType.CUMULATIVE, (
            Ballot(("x", "y;z"), (Fraction(1, 4), 3)), Ballot(()), Ballot(("x",), (-1,)))),
        meta=(("description", "built in the app"), ("note", 'a "quoted"; value')),
    )
    assert e.voter_ids == ("1", "2", "3")
    assert e.vote_header == ("voter_id", "vote", "points")
    text = write_pb(e)
    assert "budget;123.456\n" in text
    assert "x;100.001\n" in text
    assert "0.25,3" in text
    assert parse_pb(text) == e


def test_election_validation() -> None:
    inst = Instance(10, (Project("a", 1),))
    votes = Profile(VoteType.APPROVAL, (Ballot(("a",)),))
    with pytest.raises(ValueError, match="must not hold"):
        PbElection(inst, votes, meta=(("budget", "10"),))
    named = PbElection(inst, votes, project_header=("project_id", "cost", "name"))
    assert named.project_fields == (("",),)  # omitted extra columns are empty
    with pytest.raises(ValueError, match="project_fields"):
        PbElection(inst, votes, project_header=("project_id", "cost", "name"),
                   project_fields=(("x", "y"),))
    with pytest.raises(ValueError, match="voter_ids"):
        PbElection(inst, votes, voter_ids=("1", "2"))
    with pytest.raises(ValueError, match="power of ten"):
        write_pb(PbElection(Instance(10, (Project("a", 1),), unit_scale=3), votes))
    with pytest.raises(ValueError, match="decimal"):
        write_pb(PbElection(inst, Profile(VoteType.SCORING, (Ballot(("a",), (Fraction(1, 3),)),))))


def shared_files(max_bytes: int) -> list[Path]:
    if not DATA.is_dir():
        return []
    return sorted(p for p in DATA.glob("*.pb") if p.stat().st_size <= max_bytes)


def test_shared_files_round_trip() -> None:
    files = shared_files(1_300_000)
    if not files:
        pytest.skip(f"shared Pabulib data not found at {DATA}")
    for path in files:
        e = read_pb(path)
        assert parse_pb(write_pb(e)) == e, path.name
        assert len(e.profile.ballots) == len(e.voter_ids)


def test_shared_files_agree_with_pabutools() -> None:
    pytest.importorskip("pabutools")
    from pabutools.election import parse_pabulib

    files = [p for p in shared_files(400_000)]
    if not files:
        pytest.skip(f"shared Pabulib data not found at {DATA}")
    for path in files:
        ours = read_pb(path)
        instance, profile = parse_pabulib(str(path))
        scale = ours.instance.unit_scale
        assert Fraction(ours.instance.budget, scale) == instance.budget_limit, path.name
        assert {p.id: Fraction(p.cost, scale) for p in ours.instance.projects} == {
            p.name: p.cost for p in instance}, path.name
        assert len(ours.profile.ballots) == profile.num_ballots(), path.name
        for mine, theirs in zip(ours.profile.ballots, profile, strict=True):
            assert set(mine.projects) == {p.name for p in theirs}, path.name


def test_decimal_budget_of_krakow_2025() -> None:
    path = DATA / "Poland_Krakow_2025_Pradnik_Bialy.pb"
    if not path.is_file():
        pytest.skip(f"shared Pabulib data not found at {DATA}")
    e = read_pb(path)
    assert (e.instance.budget, e.instance.unit_scale) == (282809461, 100)
    assert "budget;2828094.61\n" in write_pb(e)
