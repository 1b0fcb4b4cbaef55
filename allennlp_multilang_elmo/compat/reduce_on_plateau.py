"""
B8: AllenNLP's `reduce_on_plateau` learning-rate scheduler cannot be built on current torch.

`ReduceOnPlateauLearningRateScheduler.__init__` always passes `verbose=verbose` to
`torch.optim.lr_scheduler.ReduceLROnPlateau`, whose `verbose` argument torch first deprecated and
then removed (it is gone in the pinned torch 2.14.1), so any config using the scheduler fails with
`TypeError: ReduceLROnPlateau.__init__() got an unexpected keyword argument 'verbose'`.

The patch replaces the constructor with one of the same signature (`from_params` builds the
scheduler from that signature, so configs that set `verbose` keep working) that leaves `verbose`
out of the torch call; `verbose` only ever printed a message when the rate dropped.
"""

import logging
from typing import List, Literal, Union, cast

import torch
from allennlp.training.learning_rate_schedulers.pytorch_lr_schedulers import (
    ReduceOnPlateauLearningRateScheduler,
)
from allennlp.training.optimizers import Optimizer

from allennlp_multilang_elmo.compat._patching import replace_attribute, written_for

logger = logging.getLogger(__name__)


def _init(
    self: ReduceOnPlateauLearningRateScheduler,
    optimizer: Optimizer,
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    verbose: bool = False,
    threshold_mode: str = "rel",
    threshold: float = 1e-4,
    cooldown: int = 0,
    min_lr: Union[float, List[float]] = 0,
    eps: float = 1e-8,
) -> None:
    if verbose:
        logger.warning("reduce_on_plateau: torch no longer supports 'verbose'; ignoring it")
    # The config schema keeps AllenNLP's `str` annotations; torch checks the values itself.
    lr_scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer=optimizer,
        mode=cast(Literal["min", "max"], mode),
        factor=factor,
        patience=patience,
        threshold_mode=cast(Literal["rel", "abs"], threshold_mode),
        threshold=threshold,
        cooldown=cooldown,
        min_lr=min_lr,
        eps=eps,
    )
    # AllenNLP annotates the wrapped scheduler as torch's old `_LRScheduler`, which
    # `ReduceLROnPlateau` no longer derives from; the wrapper only uses methods both have.
    super(ReduceOnPlateauLearningRateScheduler, self).__init__(lr_scheduler)  # type: ignore[arg-type]


# torch deprecated `verbose` in 2.2 (a warning at every construction) and later removed it.
VERSIONS = {"allennlp": "==2.10.1", "torch": ">=2.2"}
"""The installed versions this patch was written for (see `written_for`)."""


def apply() -> None:
    """Makes `reduce_on_plateau` constructible on torch versions without `verbose`."""
    if not written_for("B8 (reduce_on_plateau)", VERSIONS):
        return
    replace_attribute(ReduceOnPlateauLearningRateScheduler, "__init__", lambda _: _init)
