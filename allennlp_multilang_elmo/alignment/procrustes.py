"""
Learning an orthogonal map between two embedding spaces (as MUSE does it): supervised Procrustes
on a dictionary, refinement by mutual nearest neighbours under CSLS (cross-domain similarity local
scaling, Conneau et al., 2018), the round kept chosen by precision@1 on validation pairs and
reported by precision@1 on test pairs, both held out of the dictionary (or the test pairs from a
dictionary of their own).

Throughout, `W` maps a source vector `x` (a row) onto the target space as `x @ W.T`.
"""

from typing import AbstractSet, Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

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


def split_dictionary(
    pairs: Pairs,
    validation: float,
    test: float,
    seed: int,
    excluded: AbstractSet[str] = frozenset(),
) -> Tuple[Pairs, Pairs, Pairs]:
    """
    Splits `pairs` into training, validation and test pairs by source word (all translations of a
    word go to the same side). Of the source words not in `excluded` (whose pairs all go to
    training), a `test` fraction is drawn for testing, then a `validation` fraction for
    validation, with `seed`; the test words do not depend on `validation`.
    """
    sources = list(dict.fromkeys(source for source, _ in pairs))
    candidates = [source for source in sources if source not in excluded]
    order = numpy.random.RandomState(seed).permutation(len(candidates))
    test_count = int(round(test * len(candidates)))
    validation_count = int(round(validation * len(candidates)))
    test_sources = {candidates[i] for i in order[:test_count]}
    validation_sources = {candidates[i] for i in order[test_count : test_count + validation_count]}
    parts: Tuple[Pairs, Pairs, Pairs] = ([], [], [])
    for pair in pairs:
        part = 2 if pair[0] in test_sources else 1 if pair[0] in validation_sources else 0
        parts[part].append(pair)
    return parts


def split_held_out(pairs: Pairs, fraction: float, seed: int) -> Tuple[Pairs, Pairs]:
    """
    Splits `pairs` into training and held-out pairs by source word (all translations of a word go
    to the same side), a `fraction` of the source words held out, drawn with `seed`.
    """
    training, _, held_out = split_dictionary(pairs, 0.0, fraction, seed)
    return training, held_out


def self_translated(pairs: Pairs) -> Set[str]:
    """
    The source words that `pairs` translate by themselves (a pair `(word, word)`): numbers, names
    and other strings both languages share. They are the easy cases (and what a seed of identical
    strings trains on), not translations between different words, so testing on them inflates
    precision@1.
    """
    return {source for source, target in pairs if source == target}


def _check_fractions(validation: float, held_out: Optional[float], test_dictionary: bool) -> float:
    """The test fraction (`held_out`, default 0.1, 0 with a test dictionary), after checks."""
    for name, option, value in (
        ("validation", "--validation", validation),
        ("held_out", "--held-out", held_out),
    ):
        if value is not None and not (
            isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1
        ):
            raise ValueError(f"{name} ({option}) must be a fraction in [0, 1), not {value!r}")
    if test_dictionary:
        if held_out is not None:
            raise ValueError(
                f"held_out (--held-out, {held_out}) holds test pairs out of the dictionary; with "
                "test_pairs (--test-dictionary) those are the test pairs, so leave it out"
            )
        return 0.0
    test = 0.1 if held_out is None else held_out
    if validation + test >= 1:
        raise ValueError(
            f"validation (--validation, {validation}) and held_out (--held-out, {test}) leave no "
            "dictionary words for training: their sum must be below 1"
        )
    return test


def _gold(
    pairs: Pairs, source_rows: Mapping[str, int], target_rows: Mapping[str, int]
) -> Dict[int, List[int]]:
    gold: Dict[int, List[int]] = {}
    for s, t in pairs:
        gold.setdefault(source_rows[s], []).append(target_rows[t])
    return gold


def learn_alignment(
    source: WordVectors,
    target: WordVectors,
    pairs: Pairs,
    refinement: int = 0,
    held_out: Optional[float] = None,
    seed: int = 0,
    refinement_vocabulary: int = 15000,
    csls_k: int = 10,
    min_pairs: int = 50,
    validation: float = 0.1,
    test_pairs: Optional[Pairs] = None,
    keep_identical: bool = False,
    initial: Optional[numpy.ndarray] = None,
) -> Tuple[numpy.ndarray, Dict[str, Any]]:
    """
    Learns `W` from `source` onto `target` with Procrustes on the training part of `pairs` (or,
    given an `initial` map, e.g. one learned from parallel sentences, round 0 is that map), then
    `refinement` rounds that rebuild the dictionary from the mutual CSLS nearest neighbours among
    the `refinement_vocabulary` first (most frequent) words of each side and re-solve. Returns the
    `W` of the round with the best validation precision@1 under CSLS (the earliest of equals; the
    last round if there are no validation pairs) and a report: the pairs of every part and, after
    every round, its dictionary size and the validation and test precision@1 (NN and CSLS,
    retrieving among all target words), which round was kept, and its test precision@1.

    Pairs whose words are missing from the vectors are dropped. The rest are split by source word
    (`split_dictionary`, with `seed`): a `validation` fraction and a `held_out` fraction (default
    0.1) for testing. With `test_pairs` (a test dictionary) instead, those are the test pairs and
    `pairs` is split into training and validation only, less the pairs of the tested source words,
    so that these stay unseen.

    Source words that a dictionary translates by themselves (`self_translated`) are kept out of
    validation and test, their seed pairs used for training only, unless `keep_identical`; a seed
    dictionary of nothing else (as the identical strings of both vocabularies) is validated and
    tested on them all the same, there being nothing else to measure.

    If fewer than `min_pairs` remain for training (or a refinement round finds fewer), this raises
    `ValueError`, as it does for options out of range and test pairs that leave nothing to test.
    """
    if source.vectors.shape[1] != target.vectors.shape[1]:
        raise ValueError(
            f"the source vectors have dimension {source.vectors.shape[1]} and the target vectors "
            f"{target.vectors.shape[1]}; an orthogonal map needs equal dimensions"
        )
    dim = source.vectors.shape[1]
    if initial is not None and numpy.shape(initial) != (dim, dim):
        raise ValueError(
            f"the initial alignment has shape {numpy.shape(initial)}, not ({dim}, {dim})"
        )
    test_fraction = _check_fractions(validation, held_out, test_pairs is not None)
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
    held_out_words = f"holding out {validation:.0%} for validation"
    if test_pairs is None:
        seed_pairs, usable_test = usable, None
        held_out_words += f" and {test_fraction:.0%} for testing"
    else:
        usable_test = [(s, t) for s, t in test_pairs if s in source_rows and t in target_rows]
        if not usable_test:
            raise ValueError(
                f"none of the {len(test_pairs)} pairs of the test dictionary (--test-dictionary) "
                "have both words among the vectors: nothing to test on"
            )
        test_excluded = set() if keep_identical else self_translated(usable_test)
        test = [pair for pair in usable_test if pair[0] not in test_excluded]
        if not test:
            raise ValueError(
                f"the {len(usable_test)} usable pairs of the test dictionary (--test-dictionary) "
                f"all translate a word by itself (such as {usable_test[0][0]!r}), which says "
                "nothing of the alignment; test on them anyway with --keep-identical-test-pairs"
            )
        # The tested words stay unseen: their seed pairs go to neither training nor validation.
        tested = {s for s, _ in test}
        seed_pairs = [pair for pair in usable if pair[0] not in tested]
        held_out_words += (
            f" and leaving out the {len(usable) - len(seed_pairs)} pairs of the test words"
        )
    # The identical-strings seed has no other pairs to validate (or test) on.
    seed_identical = keep_identical or all(s == t for s, t in seed_pairs)
    excluded = set() if seed_identical else self_translated(seed_pairs)
    training, validation_pairs, seed_test = split_dictionary(
        seed_pairs, validation, test_fraction, seed, excluded
    )
    if usable_test is None:
        test, test_identical, excluded_test = seed_test, seed_identical, 0
    else:
        test_identical, excluded_test = keep_identical, len(usable_test) - len(test)
    report: Dict[str, Any] = {
        "dictionary_pairs": len(pairs),
        "usable_pairs": len(usable),
        "training_pairs": len(training),
        "validation_pairs": len(validation_pairs),
        "held_out_pairs": len(test),
        "test_dictionary_pairs": None if test_pairs is None else len(test_pairs),
        "usable_test_dictionary_pairs": None if usable_test is None else len(usable_test),
        "seed_pairs_of_test_words": len(usable) - len(seed_pairs),
        "excluded_identical_pairs": sum(s in excluded for s, _ in seed_pairs) + excluded_test,
        "identical_pairs_evaluated": {"validation": seed_identical, "test": test_identical},
        "initial_alignment": initial is not None,
        "rounds": [],
    }
    if len(training) < min_pairs:
        raise ValueError(
            f"only {len(usable)} of the {len(pairs)} dictionary pairs have both words among the "
            f"vectors ({len(training)} left for training after {held_out_words}); at least "
            f"{min_pairs} are needed"
        )
    validation_gold = _gold(validation_pairs, source_rows, target_rows)
    test_gold = _gold(test, source_rows, target_rows)

    row_pairs = [(source_rows[s], target_rows[t]) for s, t in training]
    matrices = []
    for round_number in range(refinement + 1):
        if len(row_pairs) < min_pairs:
            raise ValueError(
                f"refinement round {round_number} found only {len(row_pairs)} mutual nearest "
                f"neighbours; at least {min_pairs} are needed (use fewer rounds)"
            )
        if round_number == 0 and initial is not None:
            matrix = initial
        else:
            source_index, target_index = (numpy.array(rows) for rows in zip(*row_pairs))
            matrix = procrustes(source.vectors[source_index], target.vectors[target_index])
        matrices.append(matrix)
        mapped = source.vectors @ matrix.T
        scores = {
            key: precision_at_1(mapped, target.vectors, gold, csls_k) if gold else None
            for key, gold in (("validation", validation_gold), ("test", test_gold))
        }
        report["rounds"].append(
            {
                "round": round_number,
                "dictionary_size": len(row_pairs),
                "validation_precision_at_1": scores["validation"],
                "precision_at_1": scores["test"],
            }
        )
        if round_number < refinement:
            size = refinement_vocabulary
            row_pairs = mutual_nearest_neighbours(mapped[:size], target.vectors[:size], csls_k)
    rounds = report["rounds"]
    if validation_gold:
        # The best validation CSLS precision, the earliest round of equals.
        best = max(range(len(rounds)), key=lambda r: rounds[r]["validation_precision_at_1"]["csls"])
        report["selection"] = "best validation precision@1 (CSLS)"
    else:
        best = len(rounds) - 1
        report["selection"] = "last round (no validation pairs)"
    report["best_round"] = best
    report["validation_precision_at_1"] = rounds[best]["validation_precision_at_1"]
    report["precision_at_1"] = rounds[best]["precision_at_1"]
    return matrices[best], report
