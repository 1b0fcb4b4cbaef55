"""
The orthogonal map between two spaces from paired vectors, streamed: per layer the cross-covariance
`sum x y^T` of the pairs (source `x`, target `y`), with `sum x`, `sum y` and the count for
mean-centering, so memory is `(layers, dim, dim)` whatever the number of pairs, and the partial sums
of several processes (or of a corpus's parts) add exactly. The map is the orthogonal Procrustes
solution from the SVD of that sum (Schönemann, 1966), the same `W` as `procrustes.procrustes` on the
pairs themselves: `x @ W.T` maps a source row onto the target space.

The type-level variant (`TypePairSums`) first averages the vectors of each aligned word-type pair
and pairs the averages, one per type pair: its memory grows with the number of distinct type pairs.
"""

from typing import Dict, List, NamedTuple, Sequence, Tuple

import numpy
import torch


class PartialCrossCovariance(NamedTuple):
    """Sums over some vector pairs, per layer; those of disjoint sets of pairs add (`merge`)."""

    cross: numpy.ndarray
    """Shape `(num_layers, dim, dim)`, float64: `sum x y^T` (source rows, target columns)."""
    source_sum: numpy.ndarray
    """Shape `(num_layers, dim)`, float64: `sum x`."""
    target_sum: numpy.ndarray
    """Shape `(num_layers, dim)`, float64: `sum y`."""
    num_pairs: int


def merge_cross_covariances(parts: Sequence[PartialCrossCovariance]) -> PartialCrossCovariance:
    """The sums over all pairs of `parts` (of disjoint pairs, as the shards of one corpus)."""
    if not parts:
        raise ValueError("no partial sums to merge")
    shapes = {part.cross.shape for part in parts}
    if len(shapes) != 1:
        raise ValueError(f"partial sums of different shapes cannot be added: {sorted(shapes)}")
    return PartialCrossCovariance(
        cross=numpy.sum([part.cross for part in parts], axis=0),
        source_sum=numpy.sum([part.source_sum for part in parts], axis=0),
        target_sum=numpy.sum([part.target_sum for part in parts], axis=0),
        num_pairs=sum(part.num_pairs for part in parts),
    )


class CrossCovariance:
    """
    Running sums of paired vectors per layer (see `PartialCrossCovariance`), in float64 on
    `device` (the biLMs', so vectors never leave it).

    # Parameters

    num_layers : `int`
        How many layers each `add` brings.
    dim : `int`
        The vectors' dimension, the same on both sides.
    device : `torch.device`, optional (default = CPU)
    """

    def __init__(self, num_layers: int, dim: int, device: torch.device = torch.device("cpu")):
        self._cross = torch.zeros(num_layers, dim, dim, dtype=torch.float64, device=device)
        self._source = torch.zeros(num_layers, dim, dtype=torch.float64, device=device)
        self._target = torch.zeros_like(self._source)
        self.num_pairs = 0

    def add(self, source: torch.Tensor, target: torch.Tensor) -> None:
        """
        # Parameters

        source : `torch.Tensor`
            Shape `(num_layers, num_pairs, dim)`: the source vectors of the pairs.
        target : `torch.Tensor`
            Shape `(num_layers, num_pairs, dim)`: their target vectors, in the same order.
        """
        if source.shape != target.shape or source.shape[::2] != self._source.shape:
            raise ValueError(
                f"source vectors {tuple(source.shape)} and target vectors {tuple(target.shape)} "
                f"for sums of (num_layers, dim) = {tuple(self._source.shape)}"
            )
        source = source.detach().to(self._cross)
        target = target.detach().to(self._cross)
        self._cross += torch.bmm(source.transpose(1, 2), target)
        self._source += source.sum(dim=1)
        self._target += target.sum(dim=1)
        self.num_pairs += source.size(1)

    def partial(self) -> PartialCrossCovariance:
        """The sums so far, for `merge_cross_covariances` with those of other parts."""
        return PartialCrossCovariance(
            cross=self._cross.cpu().numpy().copy(),
            source_sum=self._source.cpu().numpy().copy(),
            target_sum=self._target.cpu().numpy().copy(),
            num_pairs=self.num_pairs,
        )


def centered_cross_covariance(sums: PartialCrossCovariance) -> numpy.ndarray:
    """`sum (x - mean x)(y - mean y)^T` per layer from the sums: `sum x y^T - sum x sum y^T / n`."""
    if sums.num_pairs == 0:
        return sums.cross.copy()
    return sums.cross - sums.source_sum[:, :, None] * sums.target_sum[:, None, :] / sums.num_pairs


def orthogonal_maps(sums: PartialCrossCovariance, center: bool = False) -> numpy.ndarray:
    """
    Per layer, the orthogonal `W` minimising `sum || W x - y ||^2` over the pairs (with `center`,
    over the pairs centred by their means, `x - mean x` and `y - mean y`; the map is applied to
    uncentred vectors all the same, as an alignment file holds no offset): `W = V U^T` from the
    SVD `U S V^T` of `sum x y^T`. Shape `(num_layers, dim, dim)`.
    """
    cross = centered_cross_covariance(sums) if center else sums.cross
    u, _, vt = numpy.linalg.svd(cross)
    return numpy.transpose(u @ vt, (0, 2, 1))


def singular_values(sums: PartialCrossCovariance, center: bool = False) -> numpy.ndarray:
    """Per layer, the singular values of the (centred) cross-covariance, largest first."""
    cross = centered_cross_covariance(sums) if center else sums.cross
    return numpy.linalg.svd(cross, compute_uv=False)


class PartialTypePairSums(NamedTuple):
    """What some aligned tokens add to the type-level variant: sums per type pair, not means."""

    pairs: List[Tuple[str, str]]
    counts: numpy.ndarray
    """Shape `(len(pairs),)`, int64: the aligned token pairs of each type pair."""
    source_sums: numpy.ndarray
    """Shape `(num_layers, len(pairs), dim)`, float64."""
    target_sums: numpy.ndarray
    """Shape `(num_layers, len(pairs), dim)`, float64."""


class TypePairSums:
    """
    Sums of the source and target vectors of every aligned word-type pair `(source word, target
    word)`, per layer; `means_cross_covariance` pairs their means, one pair of vectors per type
    pair. Memory `O(type pairs x layers x dim)`: capacity doubles as new pairs arrive.

    # Parameters

    num_layers : `int`
    dim : `int`
    device : `torch.device`, optional (default = CPU)
    """

    def __init__(self, num_layers: int, dim: int, device: torch.device = torch.device("cpu")):
        self._index: Dict[Tuple[str, str], int] = {}
        capacity = 1024
        self._source = torch.zeros(num_layers, capacity, dim, dtype=torch.float64, device=device)
        self._target = torch.zeros_like(self._source)
        self._counts = torch.zeros(capacity, dtype=torch.int64, device=device)

    def add(
        self, pairs: Sequence[Tuple[str, str]], source: torch.Tensor, target: torch.Tensor
    ) -> None:
        """
        # Parameters

        pairs : `Sequence[Tuple[str, str]]`
            The word types of each aligned token pair.
        source, target : `torch.Tensor`
            Shape `(num_layers, len(pairs), dim)`: the token pairs' vectors.
        """
        if not pairs:
            return
        rows = [self._row(pair) for pair in pairs]
        index = torch.tensor(rows, dtype=torch.long, device=self._counts.device)
        self._source.index_add_(1, index, source.detach().to(self._source))
        self._target.index_add_(1, index, target.detach().to(self._target))
        self._counts.index_add_(0, index, torch.ones_like(index))

    def _row(self, pair: Tuple[str, str]) -> int:
        row = self._index.get(pair)
        if row is None:
            row = self._index[pair] = len(self._index)
            if row == self._counts.numel():
                self._source = torch.cat([self._source, torch.zeros_like(self._source)], dim=1)
                self._target = torch.cat([self._target, torch.zeros_like(self._target)], dim=1)
                self._counts = torch.cat([self._counts, torch.zeros_like(self._counts)])
        return row

    def partial(self) -> PartialTypePairSums:
        size = len(self._index)
        return PartialTypePairSums(
            pairs=list(self._index),
            counts=self._counts[:size].cpu().numpy().copy(),
            source_sums=self._source[:, :size].cpu().numpy().copy(),
            target_sums=self._target[:, :size].cpu().numpy().copy(),
        )


def merge_type_pair_sums(parts: Sequence[PartialTypePairSums]) -> PartialTypePairSums:
    """The sums of all `parts` by type pair, pairs in order of first appearance."""
    if not parts:
        raise ValueError("no partial sums to merge")
    index: Dict[Tuple[str, str], int] = {}
    for part in parts:
        for pair in part.pairs:
            index.setdefault(pair, len(index))
    num_layers, _, dim = parts[0].source_sums.shape
    counts = numpy.zeros(len(index), dtype=numpy.int64)
    source = numpy.zeros((num_layers, len(index), dim))
    target = numpy.zeros((num_layers, len(index), dim))
    for part in parts:
        rows = numpy.array([index[pair] for pair in part.pairs], dtype=numpy.int64)
        if rows.size:
            counts[rows] += part.counts
            source[:, rows] += part.source_sums
            target[:, rows] += part.target_sums
    return PartialTypePairSums(list(index), counts, source, target)


def means_cross_covariance(sums: PartialTypePairSums) -> PartialCrossCovariance:
    """The cross-covariance sums of the type pairs' mean vectors, each type pair one pair."""
    counts = sums.counts.astype(numpy.float64)[None, :, None]
    source = sums.source_sums / numpy.maximum(counts, 1)
    target = sums.target_sums / numpy.maximum(counts, 1)
    return PartialCrossCovariance(
        cross=numpy.einsum("lni,lnj->lij", source, target),
        source_sum=source.sum(axis=1),
        target_sum=target.sum(axis=1),
        num_pairs=len(sums.pairs),
    )
