"""
The streamed Procrustes of `elmo-align-parallel`: the map from the cross-covariance sums is that of
Procrustes on the pairs themselves, and partial sums of a corpus's parts add up to the whole's.
"""

import numpy
import pytest
import torch

from allennlp_multilang_elmo.alignment.cross_covariance import (
    CrossCovariance,
    TypePairSums,
    means_cross_covariance,
    merge_cross_covariances,
    merge_type_pair_sums,
    orthogonal_maps,
)
from allennlp_multilang_elmo.alignment.procrustes import procrustes
from allennlp_multilang_elmo.modules.tiny_elmo import random_orthogonal

LAYERS, PAIRS, DIM = 2, 300, 12


@pytest.fixture
def pairs():
    """Source vectors and noisy rotations of them, with an offset, per layer."""
    generator = numpy.random.RandomState(0)
    source = generator.normal(size=(LAYERS, PAIRS, DIM)) + 0.5
    rotations = numpy.stack([random_orthogonal(DIM, seed=layer) for layer in range(LAYERS)])
    target = numpy.einsum("lij,lnj->lni", rotations, source)
    target += 0.05 * generator.normal(size=target.shape) + 1.0
    return torch.tensor(source), torch.tensor(target), rotations


def accumulate(source, target, parts):
    accumulator = CrossCovariance(LAYERS, DIM)
    for index in parts:
        accumulator.add(source[:, index], target[:, index])
    return accumulator.partial()


def test_the_map_is_procrustes_on_the_pairs(pairs):
    source, target, rotations = pairs
    maps = orthogonal_maps(accumulate(source, target, [slice(None)]))
    for layer in range(LAYERS):
        expected = procrustes(source[layer].numpy(), target[layer].numpy())
        assert numpy.abs(maps[layer] - expected).max() <= 1e-10
        assert numpy.abs(maps[layer] @ maps[layer].T - numpy.eye(DIM)).max() <= 1e-10


def test_centering_is_procrustes_on_the_centred_pairs(pairs):
    source, target, rotations = pairs
    maps = orthogonal_maps(accumulate(source, target, [slice(None)]), center=True)
    for layer in range(LAYERS):
        x, y = source[layer].numpy(), target[layer].numpy()
        expected = procrustes(x - x.mean(0), y - y.mean(0))
        assert numpy.abs(maps[layer] - expected).max() <= 1e-10
    # The offset of the target misleads the uncentred map, not the centred one.
    uncentred = orthogonal_maps(accumulate(source, target, [slice(None)]))
    assert numpy.abs(maps - rotations).max() < 0.05 < numpy.abs(uncentred - rotations).max()


def test_two_halves_added_give_the_sums_and_map_of_one_pass(pairs):
    source, target, _ = pairs
    whole = accumulate(source, target, [slice(0, 100), slice(100, None)])
    halves = merge_cross_covariances(
        [
            accumulate(source, target, [slice(0, 170)]),
            accumulate(source, target, [slice(170, None)]),
        ]
    )
    assert whole.num_pairs == halves.num_pairs == PAIRS
    for name in ("cross", "source_sum", "target_sum"):
        assert numpy.abs(getattr(whole, name) - getattr(halves, name)).max() <= 1e-9
    for center in (False, True):
        difference = orthogonal_maps(whole, center) - orthogonal_maps(halves, center)
        assert numpy.abs(difference).max() <= 1e-10


def test_partial_sums_of_other_shapes_do_not_add(pairs):
    source, target, _ = pairs
    other = CrossCovariance(LAYERS, DIM + 1).partial()
    with pytest.raises(ValueError, match="different shapes"):
        merge_cross_covariances([accumulate(source, target, [slice(None)]), other])
    with pytest.raises(ValueError, match="source vectors"):
        CrossCovariance(LAYERS, DIM).add(source, target[:, :5])


def test_type_pairs_average_their_tokens_and_add_up_across_parts(pairs):
    source, target, _ = pairs
    words = [(f"s{n % 7}", f"t{n % 5}") for n in range(PAIRS)]
    whole = TypePairSums(LAYERS, DIM)
    whole.add(words, source, target)
    parts = []
    for index in (slice(0, 120), slice(120, None)):
        part = TypePairSums(LAYERS, DIM)
        part.add(words[index], source[:, index], target[:, index])
        parts.append(part.partial())
    merged = merge_type_pair_sums(parts)
    assert merged.pairs == whole.partial().pairs
    assert len(merged.pairs) == 35
    sums = means_cross_covariance(merged)
    # One pair of mean vectors per type pair.
    rows = [[n for n in range(PAIRS) if words[n] == pair] for pair in merged.pairs]
    means_x = numpy.stack([source[:, r].numpy().mean(1) for r in rows], axis=1)
    means_y = numpy.stack([target[:, r].numpy().mean(1) for r in rows], axis=1)
    assert sums.num_pairs == 35
    assert numpy.abs(sums.cross - numpy.einsum("lni,lnj->lij", means_x, means_y)).max() <= 1e-9
    whole_sums = means_cross_covariance(whole.partial())
    assert numpy.abs(whole_sums.cross - sums.cross).max() <= 1e-9


def test_type_pair_capacity_grows():
    sums = TypePairSums(1, 2)
    words = [(str(n), str(n)) for n in range(3000)]
    vectors = torch.arange(6000, dtype=torch.float64).view(1, 3000, 2)
    sums.add(words, vectors, vectors)
    partial = sums.partial()
    assert len(partial.pairs) == 3000 and partial.counts.tolist() == [1] * 3000
    assert numpy.array_equal(partial.source_sums, vectors.numpy())
