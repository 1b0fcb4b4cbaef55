import numpy
import pytest

from allennlp_multilang_elmo.alignment.procrustes import (
    learn_alignment,
    mutual_nearest_neighbours,
    precision_at_1,
    procrustes,
    self_translated,
    split_dictionary,
    split_held_out,
)
from allennlp_multilang_elmo.alignment.word_vectors import WordVectors
from allennlp_multilang_elmo.modules.tiny_elmo import random_orthogonal


def spaces(num_words=300, dim=12, noise=0.0, seed=0):
    rng = numpy.random.RandomState(seed)
    target = rng.randn(num_words, dim)
    rotation = random_orthogonal(dim, seed=seed)
    # source @ rotation.T == target (+ noise): the map to learn is `rotation`.
    source = (target + noise * rng.randn(num_words, dim)) @ rotation
    return source, target, rotation


def test_procrustes_recovers_a_rotation():
    source, target, rotation = spaces(noise=0.01)
    matrix = procrustes(source, target)
    numpy.testing.assert_allclose(matrix @ matrix.T, numpy.eye(12), atol=1e-12)
    assert numpy.abs(matrix - rotation).max() < 0.01


def test_mutual_nearest_neighbours_and_precision():
    source, target, rotation = spaces()
    mapped = source @ rotation.T
    assert mutual_nearest_neighbours(mapped, target, k=10) == [(i, i) for i in range(300)]
    gold = {0: [0], 1: [2, 1], 2: [5]}
    assert precision_at_1(mapped, target, gold, k=10) == {
        "nn": pytest.approx(2 / 3),
        "csls": pytest.approx(2 / 3),
    }


def test_held_out_split_keeps_all_translations_of_a_word_together():
    pairs = [(f"s{i}", f"t{i}") for i in range(20)] + [("s3", "u3"), ("s4", "u4")]
    training, held_out = split_held_out(pairs, 0.25, seed=1)
    assert len({s for s, _ in held_out}) == 5
    assert not {s for s, _ in training} & {s for s, _ in held_out}
    assert sorted(training + held_out) == sorted(pairs)
    assert split_held_out(pairs, 0.25, seed=1) == (training, held_out)


def test_split_dictionary_into_training_validation_and_test():
    pairs = [(f"s{i}", f"t{i}") for i in range(40)] + [("s3", "u3"), ("7", "7"), ("a", "a")]
    training, validation, test = split_dictionary(pairs, 0.25, 0.1, seed=2, excluded={"7", "a"})
    assert (len({s for s, _ in validation}), len({s for s, _ in test})) == (10, 4)
    parts = [{s for s, _ in part} for part in (training, validation, test)]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert {"7", "a"} <= parts[0]
    assert sorted(training + validation + test) == sorted(pairs)
    # The test words do not depend on the validation fraction: with none, they are held_out's.
    assert split_dictionary(pairs, 0.0, 0.1, seed=2, excluded={"7", "a"})[2] == test
    assert split_held_out(pairs, 0.1, seed=5)[1] == split_dictionary(pairs, 0.0, 0.1, seed=5)[2]


def test_self_translated_words():
    assert self_translated([("7", "7"), ("a", "to"), ("a", "a"), ("casa", "house")]) == {"7", "a"}


def vectors(words, array):
    return WordVectors(list(words), array)


def test_learn_alignment_with_a_dictionary_and_refinement():
    source, target, rotation = spaces(noise=0.05)
    words_s, words_t = [f"s{i}" for i in range(300)], [f"t{i}" for i in range(300)]
    # A dictionary of the first 100 pairs plus two whose words are not in the vectors.
    pairs = [(f"s{i}", f"t{i}") for i in range(100)] + [("s0", "nope"), ("nope", "t1")]
    matrix, report = learn_alignment(
        vectors(words_s, source),
        vectors(words_t, target),
        pairs,
        refinement=2,
        held_out=0.2,
        min_pairs=20,
    )
    assert (report["dictionary_pairs"], report["usable_pairs"]) == (102, 100)
    assert (report["training_pairs"], report["validation_pairs"]) == (70, 10)
    assert report["held_out_pairs"] == 20
    # Refinement finds (nearly) all 300 words as mutual neighbours.
    assert [r["dictionary_size"] for r in report["rounds"]][0] == 70
    assert all(r["dictionary_size"] > 290 for r in report["rounds"][1:])
    perfect = {"nn": 1.0, "csls": 1.0}
    assert all(r["validation_precision_at_1"] == perfect for r in report["rounds"])
    # All rounds are as good on validation: the earliest is kept.
    assert report["best_round"] == 0
    assert report["precision_at_1"] == report["validation_precision_at_1"] == perfect
    assert numpy.abs(matrix - rotation).max() < 0.02


def test_too_few_usable_pairs_is_refused():
    source, target, _ = spaces()
    words = [f"w{i}" for i in range(300)]
    pairs = [("w1", "w1"), ("w2", "x"), ("y", "w3")]
    with pytest.raises(ValueError, match=r"only 1 of the 3 dictionary pairs .* at least 50 are"):
        learn_alignment(vectors(words, source), vectors(words, target), pairs)


def test_dimensions_must_agree():
    source, target, _ = spaces()
    with pytest.raises(ValueError, match="dimension 12 and the target vectors 6"):
        learn_alignment(vectors("abc", source[:3]), vectors("abc", target[:3, :6]), [])


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("csls_k", 0, r"csls_k \(--csls-k\) must be an integer of at least 1, not 0"),
        ("min_pairs", 0, r"min_pairs \(--min-pairs\) must be an integer of at least 1"),
        ("refinement", -1, r"refinement \(--refinement\) must be an integer of at least 0"),
        ("refinement_vocabulary", 0, r"--refinement-vocabulary\) must be"),
    ],
)
def test_options_out_of_range_are_refused(option, value, message):
    vectors = WordVectors(["a", "b"], numpy.eye(2))
    with pytest.raises(ValueError, match=message):
        learn_alignment(vectors, vectors, [("a", "a"), ("b", "b")], **{option: value})


def refinement_goes_wrong(noise=0.5, num_words=400, noisy=100, seed=0):
    """
    Source and target of `num_words`, the source a noisy rotation of the target except its first
    (most frequent) `noisy` words, which are noise: refinement among them makes the map worse.
    """
    source, target, rotation = spaces(num_words, noise=noise, seed=seed)
    source[:noisy] = numpy.random.RandomState(seed + 1).randn(noisy, source.shape[1])
    words_s, words_t = [f"s{i}" for i in range(num_words)], [f"t{i}" for i in range(num_words)]
    pairs = [(f"s{i}", f"t{i}") for i in range(noisy, num_words)]
    return vectors(words_s, source), vectors(words_t, target), pairs, rotation


def test_the_round_best_on_validation_is_kept():
    source, target, pairs, rotation = refinement_goes_wrong()
    options = dict(refinement=2, refinement_vocabulary=100, min_pairs=5, held_out=0.2)
    matrix, report = learn_alignment(source, target, pairs, validation=0.2, **options)
    assert (report["training_pairs"], report["validation_pairs"]) == (180, 60)
    assert report["held_out_pairs"] == 60
    validation = [r["validation_precision_at_1"]["csls"] for r in report["rounds"]]
    test = [r["precision_at_1"]["csls"] for r in report["rounds"]]
    assert validation[0] > validation[1] > validation[2] and test[0] > test[2]
    assert report["best_round"] == 0
    assert report["selection"] == "best validation precision@1 (CSLS)"
    assert report["precision_at_1"] == report["rounds"][0]["precision_at_1"]
    assert report["validation_precision_at_1"] == report["rounds"][0]["validation_precision_at_1"]
    assert numpy.abs(matrix - rotation).max() < 0.1

    # Without validation pairs the last (here the worst) round is kept, as the report says.
    last, report = learn_alignment(source, target, pairs, validation=0.0, **options)
    assert (report["validation_pairs"], report["best_round"]) == (0, 2)
    assert report["selection"] == "last round (no validation pairs)"
    assert report["validation_precision_at_1"] is None
    assert all(r["validation_precision_at_1"] is None for r in report["rounds"])
    assert report["precision_at_1"] == report["rounds"][2]["precision_at_1"]
    assert report["precision_at_1"]["csls"] < test[0]
    assert numpy.abs(last - rotation).max() > 0.2


def with_identical_strings(extra_pairs):
    """Words s0..s299 / t0..t299 (a rotation) and 40 numbers written alike in both languages."""
    source, target, rotation = spaces(340, noise=0.01)
    numbers = [str(i) for i in range(40)]
    words_s, words_t = [f"s{i}" for i in range(300)] + numbers, [f"t{i}" for i in range(300)]
    words_t += numbers
    pairs = [(f"s{i}", f"t{i}") for i in range(200)] + [(n, n) for n in numbers] + extra_pairs
    return vectors(words_s, source), vectors(words_t, target), pairs


def test_words_translated_by_themselves_are_not_tested_by_default():
    # "s0" is also translated by itself (a false friend, say): both its pairs stay in training.
    source, target, pairs = with_identical_strings([("s0", "s0")])
    target.words[299] = "s0"
    _, report = learn_alignment(source, target, pairs, min_pairs=20)
    assert report["usable_pairs"] == 241
    assert report["excluded_identical_pairs"] == 42
    # A tenth of the other 199 source words each for validation and test.
    assert (report["validation_pairs"], report["held_out_pairs"]) == (20, 20)
    assert report["training_pairs"] == 241 - 40
    assert report["identical_pairs_evaluated"] == {"validation": False, "test": False}
    assert report["precision_at_1"] == {"nn": 1.0, "csls": 1.0}

    _, kept = learn_alignment(source, target, pairs, min_pairs=20, keep_identical=True)
    assert kept["excluded_identical_pairs"] == 0
    assert (kept["validation_pairs"], kept["held_out_pairs"]) == (24, 24)
    assert kept["identical_pairs_evaluated"] == {"validation": True, "test": True}


def test_a_seed_of_identical_strings_only_is_evaluated_on_them():
    source, target, pairs = with_identical_strings([])
    _, report = learn_alignment(source, target, pairs[200:], min_pairs=20)
    assert report["identical_pairs_evaluated"] == {"validation": True, "test": True}
    assert report["excluded_identical_pairs"] == 0
    assert (report["training_pairs"], report["validation_pairs"], report["held_out_pairs"]) == (
        32,
        4,
        4,
    )


def test_a_test_dictionary_gives_the_test_pairs():
    source, target, pairs = with_identical_strings([])
    # 100 pairs, half of whose source words are in the seed, one identical, one unusable.
    test_pairs = [(f"s{i}", f"t{i}") for i in range(150, 250)] + [("7", "7"), ("zz", "t1")]
    _, report = learn_alignment(source, target, pairs, test_pairs=test_pairs, min_pairs=20)
    assert report["test_dictionary_pairs"] == 102
    assert report["usable_test_dictionary_pairs"] == 101
    assert report["held_out_pairs"] == 100
    # The tested words' seed pairs are neither trained nor validated on.
    assert report["seed_pairs_of_test_words"] == 50
    # A tenth of the 150 other (not identical) seed words validate; the numbers train.
    assert (report["training_pairs"], report["validation_pairs"]) == (175, 15)
    assert report["excluded_identical_pairs"] == 40 + 1
    assert report["identical_pairs_evaluated"] == {"validation": False, "test": False}
    assert report["precision_at_1"] == {"nn": 1.0, "csls": 1.0}


@pytest.mark.parametrize(
    "test_pairs, message",
    [
        (
            [("zz", "t1"), ("s1", "zz")],
            r"none of the 2 pairs of the test dictionary \(--test-dictionary\) have both words",
        ),
        (
            [("7", "7"), ("8", "8"), ("zz", "t1")],
            r"the 2 usable pairs of the test dictionary .* by itself \(such as '7'\).*"
            r"--keep-identical-test-pairs",
        ),
    ],
)
def test_a_test_dictionary_with_nothing_to_test_is_refused(test_pairs, message):
    source, target, pairs = with_identical_strings([])
    with pytest.raises(ValueError, match=message):
        learn_alignment(source, target, pairs, test_pairs=test_pairs, min_pairs=20)


@pytest.mark.parametrize(
    "options, message",
    [
        (
            {"validation": 1.0},
            r"validation \(--validation\) must be a fraction in \[0, 1\), not 1.0",
        ),
        ({"validation": -0.1}, r"validation \(--validation\) must be a fraction .* not -0.1"),
        ({"held_out": 1.5}, r"held_out \(--held-out\) must be a fraction in \[0, 1\), not 1.5"),
        (
            {"validation": 0.6, "held_out": 0.4},
            r"validation \(--validation, 0.6\) and held_out \(--held-out, 0.4\) leave no "
            r"dictionary words for training: their sum must be below 1",
        ),
        (
            {"validation": 0.95},
            r"validation \(--validation, 0.95\) and held_out \(--held-out, 0.1\) leave no",
        ),
        (
            {"held_out": 0.2, "test_pairs": [("s1", "t1")]},
            r"held_out \(--held-out, 0.2\) holds test pairs out of the dictionary; with "
            r"test_pairs \(--test-dictionary\)",
        ),
    ],
)
def test_fractions_out_of_range_are_refused(options, message):
    source, target, pairs = with_identical_strings([])
    with pytest.raises(ValueError, match=message):
        learn_alignment(source, target, pairs, **options)
