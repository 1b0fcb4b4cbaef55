import numpy
import pytest

from allennlp_multilang_elmo.alignment.procrustes import (
    learn_alignment,
    mutual_nearest_neighbours,
    precision_at_1,
    procrustes,
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
    assert (report["training_pairs"], report["held_out_pairs"]) == (80, 20)
    # Refinement finds (nearly) all 300 words as mutual neighbours.
    assert [r["dictionary_size"] for r in report["rounds"]][0] == 80
    assert all(r["dictionary_size"] > 290 for r in report["rounds"][1:])
    assert report["precision_at_1"] == {"nn": 1.0, "csls": 1.0}
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
