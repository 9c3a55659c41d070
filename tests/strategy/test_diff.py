"""Word-level comparison for side-by-side versions (engage.strategy.diff, pure)."""

from __future__ import annotations

import pytest

from engage.strategy.diff import Change, Segment, compare_texts, tokens


def test_tokens_join_back_to_the_text() -> None:
    text = "Safer streets, by 2030 – in every ward.\n\n- Less crime"
    assert "".join(tokens(text)) == text


def test_a_changed_word_is_deleted_on_the_left_and_inserted_on_the_right() -> None:
    result = compare_texts("Fewer homes empty", "Fewer homes standing empty")
    assert result.old == (Segment(Change.SAME, "Fewer homes empty"),)
    assert result.new == (
        Segment(Change.SAME, "Fewer homes "),
        Segment(Change.INSERTED, "standing "),
        Segment(Change.SAME, "empty"),
    )
    assert result.changed


def test_a_replacement_shows_on_both_sides() -> None:
    result = compare_texts("Target: 60% by 2030", "Target: 70% by 2030")
    assert Segment(Change.DELETED, "60") in result.old
    assert Segment(Change.INSERTED, "70") in result.new


@pytest.mark.parametrize(("old", "new"), [("", ""), ("Same text.", "Same text.")])
def test_identical_texts_have_no_changes(old: str, new: str) -> None:
    assert not compare_texts(old, new).changed


@pytest.mark.parametrize(
    ("old", "new"),
    [("", "All new"), ("All gone", ""), ("a b c d", "d c b a"), ("Cymraeg: ŵ ŷ", "Cymraeg: ŷ ŵ")],
)
def test_each_side_rebuilds_its_own_text(old: str, new: str) -> None:
    result = compare_texts(old, new)
    assert "".join(s.text for s in result.old) == old
    assert "".join(s.text for s in result.new) == new
    assert all(s.change is not Change.INSERTED for s in result.old)
    assert all(s.change is not Change.DELETED for s in result.new)


def test_the_diff_module_is_pure() -> None:
    import ast
    from pathlib import Path

    source = Path(__file__).resolve().parents[2] / "engage" / "strategy" / "diff.py"
    tree = ast.parse(source.read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert imported <= {"__future__", "difflib", "re", "dataclasses", "enum"}
