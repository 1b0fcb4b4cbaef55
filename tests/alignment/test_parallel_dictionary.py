import pytest

from allennlp_multilang_elmo.alignment.parallel_dictionary import (
    add_identical_strings,
    cooccurrence_dictionary,
)

# "casa" is in the verses with "house" (3 of them) and once without; "el" is everywhere, like
# "the", and "the" is its best partner; "perro" and "dog" meet twice.
VERSES = [
    ("la casa".split(), "the house".split()),
    ("la casa grande".split(), "the big house".split()),
    ("el perro".split(), "the dog".split()),
    ("el perro".split(), "the dog".split()),
    ("casa".split(), "house".split()),
    ("casa".split(), "home".split()),
]


def test_dice_scores_mutual_best_pairs_only():
    pairs = cooccurrence_dictionary(VERSES, min_count=2, min_dice=0.3)
    # casa: 4 verses, house: 3, together 3: 6 / 7. perro/dog: 2 / (2 + 2) * 2 = 1.
    assert pairs == [("perro", "dog", 1.0), ("casa", "house", pytest.approx(6 / 7))]


def test_thresholds_and_order_independence():
    assert cooccurrence_dictionary(VERSES, min_count=3) == [("casa", "house", pytest.approx(6 / 7))]
    assert cooccurrence_dictionary(VERSES, min_count=2, min_dice=0.9) == [("perro", "dog", 1.0)]
    assert cooccurrence_dictionary(VERSES[::-1], min_count=2) == cooccurrence_dictionary(
        VERSES, min_count=2
    )


def test_bad_thresholds():
    with pytest.raises(ValueError, match="min_count"):
        cooccurrence_dictionary(VERSES, min_count=0)
    with pytest.raises(ValueError, match="min_dice"):
        cooccurrence_dictionary(VERSES, min_dice=0.0)


def test_identical_strings_follow_the_pairs_most_frequent_first():
    source = [["2024", "Linux", "x"], ["2024", "Linux"], ["2024"]]
    target = [["2024", "Linux"], ["2024", "Linux"], ["2024", "x"]]
    pairs = add_identical_strings([("x", "y")], source, target, min_count=1)
    # "x" is already the source of a pair; the others by their count on the source side.
    assert pairs == [("x", "y"), ("2024", "2024"), ("Linux", "Linux")]
    assert add_identical_strings([], source, target, min_count=3) == [("2024", "2024")]
