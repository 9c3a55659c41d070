"""Suggested groupings of similar free-text answers, to speed up coding.

Pure module: standard library only, no network.

Method
------
* Text → tokens: lower case, letters only (Welsh letters kept), words of three or more
  letters, English and Welsh stop words dropped, a light suffix stripper so that "parking"
  and "parked" meet ("park"), and "bus" and "buses" ("bus").
* TF-IDF vectors (Salton & Buckley 1988, "Term-weighting approaches in automatic text
  retrieval"): sublinear term frequency ``1 + log tf`` times smoothed inverse document
  frequency ``log((1 + n) / (1 + df)) + 1``, each vector scaled to unit length, so the dot
  product is the cosine similarity.
* Similarities are computed only for pairs that share a term (an inverted index), so short
  answers cost far less than all n² pairs; pairs less than half the threshold similar are
  treated as unrelated (0), which keeps the similarity graph sparse.
* Average-linkage agglomerative clustering (UPGMA; Sokal & Michener 1958), using the
  Lance-Williams update ``sim(k, i∪j) = (|i| sim(k,i) + |j| sim(k,j)) / (|i| + |j|)``, merging
  the most similar pair of groups until no pair is at least ``threshold`` similar. Ties are
  broken by the lower group numbers, so the result is deterministic.
* Above ``max_items`` answers, the first ``max_items`` (in the order given) are clustered and
  each remaining answer joins the group whose centroid it is most similar to, if that is at
  least ``threshold``.
* Each group is described by its top terms (largest summed TF-IDF weight, shown as the word
  people most often wrote for that stem) and represented by its medoid: the member with the highest average similarity to the other members.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "couldn",
        "did",
        "didn",
        "do",
        "does",
        "doesn",
        "doing",
        "don",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "get",
        "got",
        "had",
        "hadn",
        "has",
        "hasn",
        "have",
        "haven",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "isn",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "like",
        "me",
        "more",
        "most",
        "much",
        "must",
        "mustn",
        "my",
        "myself",
        "need",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "really",
        "same",
        "shall",
        "shan",
        "she",
        "should",
        "shouldn",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "wasn",
        "way",
        "we",
        "were",
        "weren",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "won",
        "would",
        "wouldn",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "think",
        "thing",
        "things",
        "lot",
        "lots",
        "please",
        "make",
        "made",
        "use",
        "used",
        "going",
        "want",
        "well",
        "even",
        "still",
        "many",
        "people",
        "area",
        "ac",
        "am",
        "ar",
        "bod",
        "chi",
        "ei",
        "eich",
        "ein",
        "fe",
        "fy",
        "gan",
        "gyda",
        "hefyd",
        "hi",
        "hwn",
        "hyn",
        "i",
        "mae",
        "mewn",
        "na",
        "nad",
        "neu",
        "nhw",
        "ni",
        "oes",
        "oedd",
        "ond",
        "os",
        "pan",
        "pob",
        "rhai",
        "sydd",
        "wedi",
        "yn",
        "yr",
        "ydy",
        "ydw",
        "ydym",
        "yng",
        "yma",
    ]
)

_WORD = re.compile(r"[a-zàâäèéêëìíîïòóôöùúûüŵŷẁẃẅỳýÿ]+")
_SUFFIXES = ("ingly", "edly", "ing", "ies", "ied", "ed", "es", "ly", "s")


@dataclass(frozen=True)
class Group:
    """A suggested group: indices into the texts given, its top terms and its medoid."""

    members: tuple[int, ...]
    terms: tuple[str, ...]
    representative: int


def stem(word: str) -> str:
    """A deliberately light suffix stripper (keeps at least three letters)."""
    for suffix in _SUFFIXES:
        if suffix == "s" and word.endswith(("ss", "us", "is")):
            continue
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                word += "y"
            break
    if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    return word


def content_words(text: str) -> list[str]:
    """Content words of an answer, as written (lower case)."""
    return [w for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in STOP_WORDS]


def tokenise(text: str) -> list[str]:
    """Content words of an answer, stemmed."""
    return [stem(word) for word in content_words(text)]


def surface_forms(texts: Sequence[str]) -> dict[str, str]:
    """For each stem, the word people most often wrote (ties: alphabetical), for labels."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        for word in content_words(text):
            seen[stem(word)][word] += 1
    return {
        key: min(words.items(), key=lambda kv: (-kv[1], kv[0]))[0] for key, words in seen.items()
    }


Vector = dict[str, float]


def tfidf_vectors(texts: Sequence[str]) -> list[Vector]:
    """Unit-length TF-IDF vectors, one per text (an empty vector for a text with no terms)."""
    documents = [Counter(tokenise(text)) for text in texts]
    n = len(documents)
    frequency: Counter[str] = Counter()
    for document in documents:
        frequency.update(document.keys())
    vectors: list[Vector] = []
    for document in documents:
        vector = {
            term: (1.0 + math.log(count)) * (math.log((1 + n) / (1 + frequency[term])) + 1.0)
            for term, count in document.items()
        }
        norm = math.sqrt(sum(v * v for v in vector.values()))
        vectors.append({t: v / norm for t, v in vector.items()} if norm > 0 else {})
    return vectors


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(weight * b.get(term, 0.0) for term, weight in a.items())


def similarities(vectors: Sequence[Vector], minimum: float = 0.0) -> list[dict[int, float]]:
    """Sparse pairwise cosine similarities above ``minimum``, via an inverted index."""
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, vector in enumerate(vectors):
        for term, weight in vector.items():
            postings[term].append((index, weight))
    result: list[dict[int, float]] = [{} for _ in vectors]
    for index, vector in enumerate(vectors):
        scores: dict[int, float] = defaultdict(float)
        for term, weight in vector.items():
            for other, other_weight in postings[term]:
                if other > index:
                    scores[other] += weight * other_weight
        for other, score in scores.items():
            if score > minimum:
                result[index][other] = score
                result[other][index] = score
    return result


def agglomerate(neighbours: Sequence[dict[int, float]], threshold: float) -> list[list[int]]:
    """Average-linkage clustering on sparse similarities (absent pairs count as 0)."""
    size = {i: 1 for i in range(len(neighbours))}
    links: dict[int, dict[int, float]] = {i: dict(n) for i, n in enumerate(neighbours)}
    members: dict[int, list[int]] = {i: [i] for i in range(len(neighbours))}
    heap: list[tuple[float, int, int]] = [
        (-s, i, j) for i, row in links.items() for j, s in row.items() if i < j and s >= threshold
    ]
    heapq.heapify(heap)
    next_id = len(neighbours)
    while heap:
        negative, i, j = heapq.heappop(heap)
        if i not in links or j not in links or links[i].get(j) != -negative:
            continue  # stale entry: one side was merged already or its similarity changed
        merged: dict[int, float] = {}
        for k in (set(links[i]) | set(links[j])) - {i, j}:
            s = (size[i] * links[i].get(k, 0.0) + size[j] * links[j].get(k, 0.0)) / (
                size[i] + size[j]
            )
            if s > 0.0:
                merged[k] = s
        for k in set(links[i]) | set(links[j]):
            if k in links:
                links[k].pop(i, None)
                links[k].pop(j, None)
        new = next_id
        next_id += 1
        links[new] = merged
        size[new] = size.pop(i) + size.pop(j)
        members[new] = members.pop(i) + members.pop(j)
        del links[i], links[j]
        for k, s in merged.items():
            links[k][new] = s
            if s >= threshold:
                heapq.heappush(heap, (-s, min(k, new), max(k, new)))
    return sorted((sorted(m) for m in members.values()), key=lambda m: (-len(m), m[0]))


def representative(vectors: Sequence[Vector], members: Sequence[int]) -> int:
    """The medoid: the member most similar on average to the others (ties: first)."""
    best, best_score = members[0], -1.0
    for candidate in members:
        score = sum(cosine(vectors[candidate], vectors[other]) for other in members)
        if score > best_score + 1e-12:
            best, best_score = candidate, score
    return best


def top_terms(vectors: Sequence[Vector], members: Sequence[int], count: int = 3) -> tuple[str, ...]:
    totals: dict[str, float] = defaultdict(float)
    for member in members:
        for term, weight in vectors[member].items():
            totals[term] += weight
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(term for term, _weight in ranked[:count])


def suggest_groups(
    texts: Sequence[str],
    *,
    threshold: float = 0.25,
    min_size: int = 2,
    max_groups: int = 40,
    max_items: int = 2000,
) -> tuple[Group, ...]:
    """Groups of similar texts, largest first; texts in no group of ``min_size`` are left out."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must lie in (0, 1]")
    if min_size < 1 or max_groups < 1 or max_items < 2:
        raise ValueError("min_size, max_groups and max_items must be positive")
    vectors = tfidf_vectors(texts)
    head = list(range(min(len(texts), max_items)))
    clusters = agglomerate(similarities([vectors[i] for i in head], threshold / 2), threshold)
    if len(texts) > max_items:
        clusters = _assign_rest(vectors, clusters, range(max_items, len(texts)), threshold)
    groups = [c for c in clusters if len(c) >= min_size][:max_groups]
    words = surface_forms(texts)
    return tuple(
        Group(
            members=tuple(c),
            terms=tuple(words.get(term, term) for term in top_terms(vectors, c)),
            representative=representative(vectors, c),
        )
        for c in groups
    )


def _assign_rest(
    vectors: Sequence[Vector], clusters: list[list[int]], rest: range, threshold: float
) -> list[list[int]]:
    centroids: list[Vector] = []
    for cluster in clusters:
        centroid: dict[str, float] = defaultdict(float)
        for member in cluster:
            for term, weight in vectors[member].items():
                centroid[term] += weight
        norm = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
        centroids.append({t: v / norm for t, v in centroid.items()})
    grown = [list(c) for c in clusters]
    for index in rest:
        scores = [cosine(vectors[index], centroid) for centroid in centroids]
        best = max(range(len(scores)), key=lambda k: (scores[k], -k), default=None)
        if best is not None and scores[best] >= threshold:
            grown[best].append(index)
        else:
            grown.append([index])
    return sorted(grown, key=lambda m: (-len(m), m[0]))
