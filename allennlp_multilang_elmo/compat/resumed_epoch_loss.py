"""
B18: an epoch resumed in its middle reports a `training_loss` of the batches after the checkpoint.

`GradientDescentTrainer._train_epoch` sums the epoch's batch losses in a local variable that starts
at 0 in every epoch, also in the one that `--recover` resumes in its middle, and divides it by the
epoch's number of batches (the skipped ones included): the resumed run reports a lower
`training_loss` for that epoch than the uninterrupted run. The patch wraps
`allennlp.training.util.get_metrics`, which the trainer calls with that running sum after every
training batch: it records the sum on the model (`exact_resume` saves it in checkpoints), and when
`exact_resume` has put a saved sum back, it continues that sum with each batch's loss instead, in
the same order of additions as the uninterrupted run, so the loss is the same to the last bit.
"""

import functools
from typing import Any, Callable, Dict, Optional

import torch
from allennlp.training import util as training_util

from allennlp_multilang_elmo.compat._patching import replace_attribute, written_for


def _continuing_the_sum(get_metrics: Callable[..., Dict[str, float]]) -> Callable:
    @functools.wraps(get_metrics)
    def wrapper(
        model: torch.nn.Module,
        total_loss: float,
        total_reg_loss: Optional[float],
        batch_loss: Optional[float],
        batch_reg_loss: Optional[float],
        num_batches: int,
        reset: bool = False,
    ) -> Dict[str, Any]:
        # Imported here: the patches are applied before the package's components exist.
        from allennlp_multilang_elmo.training.callbacks.exact_resume import (
            EPOCH_LOSS,
            RESUMED_LOSS,
        )

        if model.training:  # the trainer's training batches, not validation
            resumed = getattr(model, RESUMED_LOSS, None)
            if resumed is not None:
                if batch_loss is not None:
                    resumed["loss"] += batch_loss
                    if batch_reg_loss is not None and resumed["reg"] is not None:
                        resumed["reg"] += batch_reg_loss
                total_loss = resumed["loss"]
                if total_reg_loss is not None and resumed["reg"] is not None:
                    total_reg_loss = resumed["reg"]
                if reset:
                    setattr(model, RESUMED_LOSS, None)
            setattr(model, EPOCH_LOSS, {"loss": total_loss, "reg": total_reg_loss})
        return get_metrics(
            model, total_loss, total_reg_loss, batch_loss, batch_reg_loss, num_batches, reset
        )

    return wrapper


# AllenNLP's trainer, whatever the torch version.
VERSIONS = {"allennlp": "==2.10.1"}
"""The installed versions this patch was written for (see `written_for`)."""


def apply() -> None:
    """Lets `exact_resume` continue an interrupted epoch's running loss."""
    if not written_for("B18 (resumed_epoch_loss)", VERSIONS):
        return
    replace_attribute(training_util, "get_metrics", _continuing_the_sum)
