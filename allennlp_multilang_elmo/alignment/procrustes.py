"""
Learning an orthogonal map between two embedding spaces (as MUSE does it): supervised Procrustes
on a dictionary, refinement by mutual nearest neighbours under CSLS (cross-domain similarity local
scaling, Conneau et al., 2018), and precision@1 on held-out dictionary pairs.

Throughout, `W` maps a source vector `x` (a row) onto the target space as `x @ W.T`.
"""

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy
from scipy.linalg import orthogonal_procrustes

from allennlp_multilang_elmo.alignment.dictionary import Pairs
from allennlp_multilang_elmo.alignment.word_vectors import WordVectors

# Rows of a similarity matrix computed at once: bounds memory to _CHUNK x vocabulary floats.
_CHUNK = 1024


def procrustes(source: numpy.ndarray, target: numpy.ndarray) -> numpy.ndarray:
    """
    The orthogonal `W` minimising `|| source @ W.T - target ||` over paired rows: `W = U V^T` from
    the SVD `U S V^T` of `target^T source`.
    """
    rotation, _ = orthogonal_procrustes(source, target)
    return rotation.T


def _unit_rows(vectors: numpy.ndarray) -> numpy.ndarray:
    norms = numpy.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / numpy.maximum(norms, 1e-12)


def mean_top_k_similarity(queries: numpy.ndarray, keys: numpy.ndarray, k: int) -> numpy.ndarray:
    """For every (unit) query row, the mean cosine similarity of its `k` nearest (unit) key rows."""
    k = min(k, len(keys))
    means = numpy.empty(len(queries))
    for start in range(0, len(queries), _CHUNK):
        similarities = queries[start : start + _CHUNK] @ keys.T
        top = numpy.partition(similarities, -k, axis=1)[:, -k:]
        means[start : start + _CHUNK] = top.mean(axis=1)
    return means


def nearest_neighbours(
    queries: numpy.ndarray, keys: numpy.ndarray, key_penalty: Optional[numpy.ndarray] = None
) -> numpy.ndarray:
    """
    For every unit query row, the index of the best unit key row: by cosine similarity, or, with
    `key_penalty = r(key)`, by CSLS `2 cos(q, key) - r(key)` (the query's own term does not change
    its ranking).
    """
    best = numpy.empty(len(queries), dtype=numpy.int64)
    for start in range(0, len(queries), _CHUNK):
        scores = queries[start : start + _CHUNK] @ keys.T
        if key_penalty is not None:
            scores = 2 * scores - key_penalty[None, :]
        best[start : start + _CHUNK] = scores.argmax(axis=1)
    return best


def mutual_nearest_neighbours(
    mapped_source: numpy.ndarray, target: numpy.ndarray, k: int
) -> List[Tuple[int, int]]:
    """The `(source, target)` row pairs that are each other's nearest neighbour under CSLS."""
    mapped_source, target = _unit_rows(mapped_source), _unit_rows(target)
    source_density = mean_top_k_similarity(mapped_source, target, k)
    target_density = mean_top_k_similarity(target, mapped_source, k)
    forward = nearest_neighbours(mapped_source, target, target_density)
    backward = nearest_neighbours(target, mapped_source, source_density)
    return [(i, int(j)) for i, j in enumerate(forward) if backward[j] == i]


def precision_at_1(
    mapped_source: numpy.ndarray,
    target: numpy.ndarray,
    gold: Mapping[int, Sequence[int]],
    k: int,
) -> Dict[str, float]:
    """
    Precision@1 of translating the source rows in `gold` (source row -> its correct target rows)
    by nearest neighbour (`"nn"`) and by CSLS with `k` neighbours (`"csls"`), retrieving among all
    rows of `target`.
    """
    mapped_source, target = _unit_rows(mapped_source), _unit_rows(target)
    queries = numpy.array(sorted(gold), dtype=numpy.int64)
    target_density = mean_top_k_similarity(target, mapped_source, k)
    scores = {}
    for method, penalty in (("nn", None), ("csls", target_density)):
        found = nearest_neighbours(mapped_source[queries], target, penalty)
        hits = sum(int(j) in gold[int(i)] for i, j in zip(queries, found))
        scores[method] = hits / len(queries)
    return scores


def split_held_out(pairs: Pairs, fraction: float, seed: int) -> Tuple[Pairs, Pairs]:
    """
    Splits `pairs` into training and held-out pairs by source word (all translations of a word go
    to the same side), a `fraction` of the source words held out, drawn with `seed`.
    """
    sources = list(dict.fromkeys(source for source, _ in pairs))
    order = numpy.random.RandomState(seed).permutation(len(sources))
    held_out_sources = {sources[i] for i in order[: int(round(fraction * len(sources)))]}
    training = [pair for pair in pairs if pair[0] not in held_out_sources]
    held_out = [pair for pair in pairs if pair[0] in held_out_sources]
    return training, held_out


def learn_alignment(
    source: WordVectors,
    target: WordVectors,
    pairs: Pairs,
    refinement: int = 0,
    held_out: float = 0.1,
    seed: int = 0,
    refinement_vocabulary: int = 15000,
    csls_k: int = 10,
    min_pairs: int = 50,
) -> Tuple[numpy.ndarray, Dict[str, Any]]:
    """
    Learns `W` from `source` onto `target` with Procrustes on `pairs`, less a held-out part for
    evaluation, then `refinement` rounds that rebuild the dictionary from the mutual CSLS nearest
    neighbours among the `refinement_vocabulary` first (most frequent) words of each side and
    re-solve. Returns `W` and a report: the dictionary size and the held-out precision@1 (NN and
    CSLS, retrieving among all target words) after every round.

    Pairs whose words are missing from the vectors are dropped; if fewer than `min_pairs` remain
    for training (or a refinement round finds fewer), this raises `ValueError`.
    """
    if source.vectors.shape[1] != target.vectors.shape[1]:
        raise ValueError(
            f"the source vectors have dimension {source.vectors.shape[1]} and the target vectors "
            f"{target.vectors.shape[1]}; an orthogonal map needs equal dimensions"
        )
    if not 0.0 <= held_out < 1.0:
        raise ValueError(f"the held-out fraction must be in [0, 1), not {held_out}")
    for name, value, least in (
        ("refinement", refinement, 0),
        ("refinement_vocabulary", refinement_vocabulary, 1),
        ("csls_k", csls_k, 1),
        ("min_pairs", min_pairs, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            option = "--" + name.replace("_", "-")
            raise ValueError(
                f"{name} ({option}) must be an integer of at least {least}, not {value!r}"
            )
    source_rows = {word: row for row, word in enumerate(source.words)}
    target_rows = {word: row for row, word in enumerate(target.words)}
    usable = [(s, t) for s, t in pairs if s in source_rows and t in target_rows]
    training, evaluation = split_held_out(usable, held_out, seed)
    report: Dict[str, Any] = {
        "dictionary_pairs": len(pairs),
        "usable_pairs": len(usable),
        "training_pairs": len(training),
        "held_out_pairs": len(evaluation),
        "rounds": [],
    }
    if len(training) < min_pairs:
        raise ValueError(
            f"only {len(usable)} of the {len(pairs)} dictionary pairs have both words among the "
            f"vectors ({len(training)} left for training after holding out {held_out:.0%}); at "
            f"least {min_pairs} are needed"
        )
    gold: Dict[int, List[int]] = {}
    for s, t in evaluation:
        gold.setdefault(source_rows[s], []).append(target_rows[t])

    row_pairs = [(source_rows[s], target_rows[t]) for s, t in training]
    for round_number in range(refinement + 1):
        if len(row_pairs) < min_pairs:
            raise ValueError(
                f"refinement round {round_number} found only {len(row_pairs)} mutual nearest "
                f"neighbours; at least {min_pairs} are needed (use fewer rounds)"
            )
        source_index, target_index = (numpy.array(rows) for rows in zip(*row_pairs))
        matrix = procrustes(source.vectors[source_index], target.vectors[target_index])
        mapped = source.vectors @ matrix.T
        scores = precision_at_1(mapped, target.vectors, gold, csls_k) if gold else None
        report["rounds"].append(
            {"round": round_number, "dictionary_size": len(row_pairs), "precision_at_1": scores}
        )
        if round_number < refinement:
            size = refinement_vocabulary
            row_pairs = mutual_nearest_neighbours(mapped[:size], target.vectors[:size], csls_k)
    report["precision_at_1"] = report["rounds"][-1]["precision_at_1"]
    return matrix, report
