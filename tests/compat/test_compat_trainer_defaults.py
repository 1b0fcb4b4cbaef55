"""B14: a trainer of a model with the multilingual embedder gets safe callbacks and checkpointer."""

import pytest
import torch
from allennlp.common.testing import AllenNlpTestCase
from allennlp.data import Vocabulary
from allennlp.data.data_loaders import SimpleDataLoader
from allennlp.models import Model
from allennlp.training.callbacks import ConsoleLoggerCallback
from allennlp.training.checkpointer import Checkpointer
from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

from allennlp_multilang_elmo.compat._patching import unpatched
from allennlp_multilang_elmo.modules.tiny_elmo import write_multilang_elmo
from allennlp_multilang_elmo.modules.token_embedders import ElmoTokenEmbedderMultiLang
from allennlp_multilang_elmo.training import RecoverableCheckpointer
from allennlp_multilang_elmo.training.callbacks import (
    ElmoFilesInArchiveCallback,
    ExactResumeCallback,
    ReaderPassPerEpochCallback,
)

SAFE = {ElmoFilesInArchiveCallback, ExactResumeCallback, ReaderPassPerEpochCallback}


class _Model(Model):
    def __init__(self, elmo: torch.nn.Module) -> None:
        super().__init__(Vocabulary())
        self.elmo = elmo
        self.linear = torch.nn.Linear(2, 2)


class TestTrainerDefaultsPatch(AllenNlpTestCase):
    def trainer(self, elmo: torch.nn.Module, **kwargs) -> GradientDescentTrainer:
        model = _Model(elmo)
        return GradientDescentTrainer(
            model,
            torch.optim.SGD(model.linear.parameters(), lr=0.1),
            SimpleDataLoader([], 1),
            serialization_dir=str(self.TEST_DIR),
            checkpointer=Checkpointer(str(self.TEST_DIR)),
            **kwargs,
        )

    @pytest.fixture(autouse=True)
    def _embedder(self):
        files = write_multilang_elmo(str(self.TEST_DIR / "elmo"), ["en", "de"])
        self.embedder = ElmoTokenEmbedderMultiLang(**files)

    def test_stock_trainer_has_none_of_the_safe_callbacks(self):
        with unpatched(GradientDescentTrainer, "__init__"):
            trainer = self.trainer(self.embedder)
        assert not SAFE & {type(callback) for callback in trainer._callbacks}
        assert type(trainer._checkpointer) is Checkpointer

    def test_safe_callbacks_and_recoverable_checkpointer(self):
        trainer = self.trainer(self.embedder, enable_default_callbacks=False)
        assert SAFE <= {type(callback) for callback in trainer._callbacks}
        assert isinstance(trainer._checkpointer, RecoverableCheckpointer)
        assert trainer._checkpointer._serialization_dir == str(self.TEST_DIR)

    def test_listed_callbacks_are_not_added_twice(self):
        listed = [
            ExactResumeCallback(str(self.TEST_DIR)),
            ConsoleLoggerCallback(str(self.TEST_DIR)),
        ]
        trainer = self.trainer(self.embedder, callbacks=listed)
        kinds = [type(callback) for callback in trainer._callbacks]
        assert kinds.count(ExactResumeCallback) == 1 and trainer._callbacks[0] is listed[0]

    def test_other_models_train_as_before(self):
        trainer = self.trainer(torch.nn.Linear(2, 2))
        assert not SAFE & {type(callback) for callback in trainer._callbacks}
        assert type(trainer._checkpointer) is Checkpointer


class _Checkpointer(Checkpointer):
    """A checkpoint whose training state names best.th as the run's own working folder did."""

    model_state: dict = {}

    def load_checkpoint(self):
        state = {"version": 1, "epochs_completed": 1, "batches_in_epoch_completed": 0}
        state.update(metric_tracker={}, optimizer={}, callbacks=[])
        state["best_model_filename"] = "run/best.th"
        return self.model_state, state


class TestBestModelOfARecoveredRun(AllenNlpTestCase):
    def trainer(self) -> GradientDescentTrainer:
        files = write_multilang_elmo(str(self.TEST_DIR / "elmo"), ["en"])
        model = _Model(ElmoTokenEmbedderMultiLang(**files))
        checkpointer = _Checkpointer(str(self.TEST_DIR / "run"))
        checkpointer.model_state = model.state_dict()
        return GradientDescentTrainer(
            model,
            torch.optim.SGD(model.linear.parameters(), lr=0.1),
            SimpleDataLoader([], 1),
            serialization_dir=str(self.TEST_DIR / "run"),
            checkpointer=checkpointer,
        )

    def restore(self, trainer: GradientDescentTrainer) -> None:
        trainer._metric_tracker.load_state_dict = lambda state: None
        trainer.optimizer.load_state_dict = lambda state: None
        trainer._maybe_restore_checkpoint()

    def test_stock_restore_keeps_a_path_relative_to_another_working_folder(self):
        trainer = self.trainer()
        with unpatched(GradientDescentTrainer, "_maybe_restore_checkpoint"):
            self.restore(trainer)
        assert trainer._best_model_filename == "run/best.th"

    def test_best_model_is_found_in_the_run_folder(self):
        trainer = self.trainer()
        self.restore(trainer)
        assert trainer._best_model_filename == str(self.TEST_DIR / "run" / "best.th")
