"""B18: an epoch resumed in its middle reports the training loss of all its batches."""

from typing import Dict

from allennlp.data import Vocabulary
from allennlp.models import Model
from allennlp.training import util as training_util

from allennlp_multilang_elmo.compat._patching import unpatched
from allennlp_multilang_elmo.training.callbacks.exact_resume import EPOCH_LOSS, RESUMED_LOSS

LOSSES = [0.1, 0.7, 0.3, 0.9, 0.2]


class _Model(Model):
    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        return {}


def epoch_loss(model: Model, losses, batches_before: int = 0) -> float:
    """The trainer's loss metric at the end of an epoch (`_train_epoch`, AllenNLP 2.10.1)."""
    train_loss = 0.0
    for number, loss in enumerate(losses, batches_before + 1):
        train_loss += loss
        training_util.get_metrics(model, train_loss, None, loss, None, number)
    total = batches_before + len(losses)
    return training_util.get_metrics(model, train_loss, None, None, None, total, reset=True)["loss"]


def test_stock_loss_of_a_resumed_epoch_leaves_out_the_batches_before_the_checkpoint():
    model = _Model(Vocabulary())
    with unpatched(training_util, "get_metrics"):
        uninterrupted = epoch_loss(model, LOSSES)
        resumed = epoch_loss(model, LOSSES[2:], batches_before=2)
    assert resumed < uninterrupted


def test_a_resumed_epoch_continues_the_saved_sum_to_the_last_bit():
    model = _Model(Vocabulary())
    uninterrupted = epoch_loss(model, LOSSES)
    # What the checkpoint after two batches saved, put back by exact_resume.
    epoch_loss(model, LOSSES[:2])
    saved = dict(getattr(model, EPOCH_LOSS))
    assert saved["loss"] == LOSSES[0] + LOSSES[1]
    setattr(model, RESUMED_LOSS, saved)
    assert epoch_loss(model, LOSSES[2:], batches_before=2) == uninterrupted
    assert getattr(model, RESUMED_LOSS) is None  # the next epoch starts afresh
    model.eval()  # validation's calls are left alone
    assert training_util.get_metrics(model, 4.0, None, 4.0, None, 2)["loss"] == 2.0
