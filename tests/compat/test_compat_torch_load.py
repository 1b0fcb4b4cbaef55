import pickle
from typing import Any, Dict, Iterator

import numpy
import pytest
import torch
from allennlp.common.file_utils import TensorCache
from allennlp.common.testing import AllenNlpTestCase
from allennlp.training.checkpointer import Checkpointer
from allennlp.training.learning_rate_schedulers import LearningRateScheduler
from allennlp.training.metric_tracker import MetricTracker
from allennlp.training.metrics import SpearmanCorrelation
from allennlp.training.trainer import TrainerCheckpoint

from allennlp_multilang_elmo.compat import reduce_on_plateau, torch_load
from allennlp_multilang_elmo.compat._patching import unpatched


@pytest.fixture
def no_safe_globals() -> Iterator[None]:
    """torch's allow-list as it is without the patch; restored afterwards."""
    saved = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        yield
    finally:
        torch.serialization.add_safe_globals(saved)


class _CheckpointedTrainer:
    """What `Checkpointer.save_checkpoint` asks of a trainer."""

    def __init__(self, model_state: Dict[str, Any], trainer_state: Dict[str, Any]) -> None:
        self._checkpoint = TrainerCheckpoint(model_state, trainer_state)

    def get_checkpoint_state(self) -> TrainerCheckpoint:
        return self._checkpoint


class TestTorchLoadPatch(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        torch_load.apply()
        # The plateau scheduler, which stores the metric it watches, needs B8 to be built at all.
        reduce_on_plateau.apply()

    def _save_training_state_with_numpy_metric(self) -> float:
        # A real metric whose value is a numpy scalar (scipy computes it), tracked and fed to the
        # plateau scheduler exactly as the trainer does, then checkpointed as the trainer does.
        metric = SpearmanCorrelation()
        metric(torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.0, 3.0, 2.0, 4.0]))
        value = metric.get_metric()
        assert isinstance(value, numpy.floating)
        tracker = MetricTracker("+spearman_correlation")
        tracker.add_metrics({"spearman_correlation": value})
        model = torch.nn.Linear(2, 1)
        scheduler = LearningRateScheduler.by_name("reduce_on_plateau")(
            torch.optim.SGD(model.parameters(), lr=0.1), mode="max"
        )
        scheduler.step(value)
        trainer_state = {
            "metric_tracker": tracker.state_dict(),
            "learning_rate_scheduler": scheduler.state_dict(),
            "epochs_completed": 1,
            "batches_in_epoch_completed": 0,
        }
        Checkpointer(self.TEST_DIR).save_checkpoint(
            _CheckpointedTrainer(model.state_dict(), trainer_state)
        )
        return float(value)

    def test_recover_fails_on_numpy_metrics_without_the_allow_list(self, no_safe_globals):
        self._save_training_state_with_numpy_metric()
        with pytest.raises(pickle.UnpicklingError, match="numpy._core.multiarray.scalar"):
            Checkpointer(self.TEST_DIR).load_checkpoint()

    def test_recover_loads_numpy_metrics(self):
        value = self._save_training_state_with_numpy_metric()
        checkpoint = Checkpointer(self.TEST_DIR).load_checkpoint()
        assert checkpoint is not None
        assert checkpoint.trainer_state["metric_tracker"]["best_so_far"] == pytest.approx(value)
        assert checkpoint.trainer_state["learning_rate_scheduler"]["best"] == pytest.approx(value)
        assert checkpoint.trainer_state["epochs_completed"] == 1

    def test_numpy_arrays_stay_refused(self):
        # Only scalars are allowed: anything else still needs an explicit, trusted load.
        path = self.TEST_DIR / "array.th"
        torch.save({"array": numpy.arange(3)}, path)
        with pytest.raises(pickle.UnpicklingError):
            torch.load(path)

    # Both from upstream code: `__setitem__` checks storages, and the stock read meets protocol 5.
    @pytest.mark.filterwarnings("ignore:TypedStorage is deprecated:UserWarning")
    @pytest.mark.filterwarnings("ignore:Detected pickle protocol 5:UserWarning")
    def test_tensor_cache_reads_what_it_wrote(self):
        cache = TensorCache(self.TEST_DIR / "cache")
        written = torch.arange(6.0).view(2, 3)
        cache["key"] = written
        # Drop the in-memory copy so that the next read goes to lmdb.
        cache.cache_cache.clear()
        with unpatched(TensorCache, "__getitem__"):
            with pytest.raises(pickle.UnpicklingError):
                cache["key"]
        assert torch.equal(cache["key"], written)
        with pytest.raises(KeyError):
            cache["missing"]
