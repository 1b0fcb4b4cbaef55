"""
B10: distributed `AttachmentScores` (the biaffine parser's metric) aborts with gloo.

`AttachmentScores.__call__` all-reduces the per-token tensors `correct_indices` and
`correct_labels_and_indices` and the per-sentence exact matches, and only sums them afterwards.
Their shapes are those of the local batch (its size and padded length), which differ between
workers, so the collective gets buffers of different sizes. When a worker receives more than its
own buffer holds, gloo aborts the whole run (SIGABRT) with `gloo::EnforceNotMet ... Received data
size doesn't match expected size`; whether that happens depends on the batches. This is an
upstream AllenNLP bug, not a torch 2 one.

Summing before reducing gives the same totals, since a sum of sums is the sum. The patch rebinds
the `dist_reduce_sum` name that the metric's module uses to a version that reduces `value.sum()`
for tensors; other users of `allennlp.nn.util.dist_reduce_sum` are untouched.
"""

from typing import TypeVar

import torch
from allennlp.nn.util import dist_reduce_sum
from allennlp.training.metrics import attachment_scores

from allennlp_multilang_elmo.compat._patching import replace_attribute, written_for

# The values `dist_reduce_sum` accepts.
_V = TypeVar("_V", int, float, torch.Tensor)


def dist_reduce_total(value: _V) -> _V:
    """`dist_reduce_sum` of the total of a tensor, whose shape may then differ between workers."""
    if isinstance(value, torch.Tensor):
        value = value.sum()
    return dist_reduce_sum(value)


# An AllenNLP bug, whatever the torch version.
VERSIONS = {"allennlp": "==2.10.1"}
"""The installed versions this patch was written for (see `written_for`)."""


def apply() -> None:
    """Makes `AttachmentScores` reduce totals instead of per-token tensors."""
    if not written_for("B10 (attachment_scores)", VERSIONS):
        return
    replace_attribute(attachment_scores, "dist_reduce_sum", lambda _: dist_reduce_total)
