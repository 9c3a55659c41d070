"""Suggested groupings of free text: TF-IDF and average-linkage clustering (pure, no app)."""

from __future__ import annotations

import math
import random

import pytest

from engage.consultations import grouping

PARKING = [
    "Parking in the town centre is far too expensive",
    "The car parking charges in town are too expensive",
    "Cheaper parking please, the town centre car park costs too much",
    "Parking charges put me off shopping in the town centre",
]
BUSES = [
    "The buses do not run late enough in the evening",
    "More evening buses to the villages please",
    "Bus services in the evening are poor, the last bus is too early",
]
OTHER = ["Thank you for asking", "Dog fouling on the playing fields is a problem"]


def test_tokens_are_lower_case_content_words_lightly_stemmed() -> None:
    assert grouping.tokenise("The PARKING charges, and parked cars!") == [
        "park",
        "charg",
        "park",
        "car",
    ]
    assert grouping.tokenise("a an the of and") == []


def test_vectors_are_unit_length_and_rare_words_weigh_more() -> None:
    vectors = grouping.tfidf_vectors(["park bus", "park", "park tram"])
    for vector in vectors:
        assert math.isclose(math.sqrt(sum(v * v for v in vector.values())), 1.0)
    assert vectors[0]["bus"] > vectors[0]["park"]
    assert grouping.tfidf_vectors([""]) == [{}]


def test_sparse_similarities_match_the_all_pairs_cosine() -> None:
    texts = PARKING + BUSES + OTHER
    vectors = grouping.tfidf_vectors(texts)
    sparse = grouping.similarities(vectors)
    for i in range(len(texts)):
        for j in range(len(texts)):
            if i != j:
                assert sparse[i].get(j, 0.0) == pytest.approx(
                    grouping.cosine(vectors[i], vectors[j])
                )


def test_similar_answers_are_grouped_and_unlike_ones_left_out() -> None:
    groups = grouping.suggest_groups(PARKING + BUSES + OTHER, threshold=0.15)
    members = [set(g.members) for g in groups]
    assert {0, 1, 2, 3} in members
    assert {4, 5, 6} in members
    assert all(7 not in m and 8 not in m for m in members)
    parking = next(g for g in groups if 0 in g.members)
    assert "parking" in parking.terms  # shown as people wrote it, not as the stem "park"
    assert parking.representative in parking.members


def test_average_linkage_merges_by_the_mean_similarity_of_members() -> None:
    # a-b are very similar, c is similar to a only: average linkage sim(c, {a,b}) is the
    # mean of 0.6 and 0.0 = 0.3, so c joins at threshold 0.3 but not at 0.31.
    neighbours = [{1: 0.9, 2: 0.6}, {0: 0.9}, {0: 0.6}]
    assert grouping.agglomerate(neighbours, 0.3) == [[0, 1, 2]]
    assert grouping.agglomerate(neighbours, 0.31) == [[0, 1], [2]]


def test_grouping_is_deterministic_and_order_stable() -> None:
    texts = PARKING + BUSES + OTHER
    assert grouping.suggest_groups(texts) == grouping.suggest_groups(list(texts))


def test_answers_beyond_the_clustering_limit_join_the_nearest_group() -> None:
    texts = PARKING + BUSES + ["Parking is too expensive in the town centre"]
    groups = grouping.suggest_groups(texts, threshold=0.15, max_items=7)
    parking = next(g for g in groups if 0 in g.members)
    assert 7 in parking.members


def test_a_thousand_answers_group_quickly() -> None:
    import time

    rng = random.Random(3)
    topics = [
        ["parking", "charges", "expensive", "town", "centre", "car"],
        ["buses", "evening", "villages", "late", "service", "timetable"],
        ["litter", "bins", "streets", "collection", "rubbish", "fly-tipping"],
        ["youth", "club", "young", "people", "activities", "summer"],
    ]
    texts = [" ".join(rng.sample(topics[i % 4], 4)) for i in range(1000)]
    started = time.perf_counter()
    groups = grouping.suggest_groups(texts)
    assert time.perf_counter() - started < 20
    assert len(groups) >= 4


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        grouping.suggest_groups(["a"], threshold=0)
    with pytest.raises(ValueError):
        grouping.suggest_groups(["a"], min_size=0)
