import logging
import os
import pickle
from typing import Tuple

import numpy
import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import AllenNlpTestCase
from allennlp.training.checkpointer import Checkpointer
from allennlp.training.trainer import TrainerCheckpoint

from allennlp_multilang_elmo.training import RecoverableCheckpointer


class _Trainer:
    """What `Checkpointer.save_checkpoint` asks of a trainer."""

    def __init__(self, epochs: int, batches: int) -> None:
        self.state = {
            "epochs_completed": epochs,
            "batches_in_epoch_completed": batches,
            "marker": torch.tensor([epochs, batches]),
        }

    def get_checkpoint_state(self) -> TrainerCheckpoint:
        return TrainerCheckpoint({"weight": torch.zeros(3)}, self.state)


def truncate(path: str) -> None:
    with open(path, "rb") as f:
        content = f.read()
    with open(path, "wb") as f:
        f.write(content[: len(content) // 2])


class TestRecoverableCheckpointer(AllenNlpTestCase):
    def save(self, *points) -> RecoverableCheckpointer:
        checkpointer = RecoverableCheckpointer(self.TEST_DIR, keep_most_recent_by_count=None)
        for epochs, batches in points:
            checkpointer.save_checkpoint(_Trainer(epochs, batches))
        return checkpointer

    def path(self, kind: str, epochs: int, batches: int) -> str:
        return str(self.TEST_DIR / f"{kind}_state_e{epochs}_b{batches}.th")

    def loaded_point(self, checkpoint: TrainerCheckpoint) -> Tuple[int, int]:
        state = checkpoint.trainer_state
        return state["epochs_completed"], state["batches_in_epoch_completed"]

    def test_from_params_and_intact_checkpoints_load_as_by_default(self):
        checkpointer = Checkpointer.from_params(
            Params({"type": "recoverable", "save_every_num_batches": 4}),
            serialization_dir=str(self.TEST_DIR),
        )
        assert isinstance(checkpointer, RecoverableCheckpointer)
        assert checkpointer._save_every_num_batches == 4
        self.save((1, 0), (1, 2))
        assert self.loaded_point(RecoverableCheckpointer(self.TEST_DIR).load_checkpoint()) == (1, 2)
        assert RecoverableCheckpointer(self.TEST_DIR / "empty").load_checkpoint() is None

    @pytest.mark.parametrize("kind", ["model", "training"])
    def test_truncated_newest_falls_back_naming_the_file(self, kind, caplog):
        checkpointer = self.save((1, 0), (1, 2))
        bad = self.path(kind, 1, 2)
        truncate(bad)
        # Stock AllenNLP fails without naming the file.
        with pytest.raises(RuntimeError) as stock_error:
            Checkpointer(self.TEST_DIR).load_checkpoint()
        assert bad not in str(stock_error.value)

        with caplog.at_level(logging.WARNING):
            checkpoint = checkpointer.load_checkpoint()
        assert self.loaded_point(checkpoint) == (1, 0)
        (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warning.startswith(f"Cannot recover from checkpoint {bad} (")
        # Moved aside, so that the resumed run saves a fresh checkpoint under that name.
        for other_kind in ("model", "training"):
            assert not os.path.exists(self.path(other_kind, 1, 2))
            assert os.path.exists(self.path(other_kind, 1, 2) + ".damaged")
        checkpointer.save_checkpoint(_Trainer(1, 2))
        assert self.loaded_point(checkpointer.load_checkpoint()) == (1, 2)

    def test_missing_training_state_falls_back(self):
        checkpointer = self.save((0, 3), (1, 0))
        os.remove(self.path("training", 1, 0))
        assert self.loaded_point(checkpointer.load_checkpoint()) == (0, 3)

    def test_no_readable_checkpoint_fails_naming_every_file(self):
        checkpointer = self.save((1, 0), (1, 2))
        truncate(self.path("model", 1, 2))
        truncate(self.path("training", 1, 0))
        with pytest.raises(ConfigurationError) as error:
            checkpointer.load_checkpoint()
        message = str(error.value)
        assert message.startswith(f"No checkpoint in {self.TEST_DIR} can be read: ")
        assert self.path("model", 1, 2) in message and self.path("training", 1, 0) in message
        assert self.path("model", 1, 0) not in message

    def test_files_refused_by_the_weights_only_unpickler_are_not_damage(self):
        self.save((1, 0))
        torch.save({"epochs_completed": numpy.arange(2)}, self.path("training", 1, 0))
        with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
            RecoverableCheckpointer(self.TEST_DIR).load_checkpoint()
        assert os.path.exists(self.path("training", 1, 0))
