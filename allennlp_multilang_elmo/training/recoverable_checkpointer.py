"""
A checkpointer that survives a damaged newest checkpoint, as a run killed while saving leaves one.
"""

import logging
import os
import pickle
from typing import List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.training.checkpointer import Checkpointer
from allennlp.training.trainer import TrainerCheckpoint

logger = logging.getLogger(__name__)

# What torch.load raises on a truncated or otherwise damaged file (zip or legacy format) and on a
# missing one; a file refused by the weights-only unpickler is not damaged and is not caught.
_DAMAGE = (RuntimeError, EOFError, FileNotFoundError, pickle.UnpicklingError)
_WEIGHTS_ONLY_REFUSAL = "Weights only load failed"


def _unreadable(path: str) -> Optional[str]:
    """Why `torch.load` cannot read `path` because it is damaged or missing, or `None`."""
    try:
        torch.load(path, map_location="cpu")
    except _DAMAGE as error:
        if _WEIGHTS_ONLY_REFUSAL in str(error):
            raise
        return f"{type(error).__name__}: {error}".splitlines()[0]
    return None


@Checkpointer.register("recoverable")
class RecoverableCheckpointer(Checkpointer):
    """
    AllenNLP's default checkpointer, except when `allennlp train --recover` finds a newest
    checkpoint that cannot be read: a model or training state file that is truncated (the run was
    killed while writing it), damaged, or missing. Then it logs a warning naming the file, renames
    that checkpoint's files to `<name>.damaged` (so that the resumed run can save a new checkpoint
    under the same name, and the files stay for inspection), and recovers from the previous
    checkpoint. If no checkpoint can be read, recovery fails with an error naming the files.

    Registered as a `Checkpointer` with name "recoverable".

    # Parameters

    Those of the default `Checkpointer` (`save_every_num_batches`, `keep_most_recent_by_count`,
    ...). Keep at least two checkpoints (the default) to have one to fall back on.
    """

    def load_checkpoint(self) -> Optional[TrainerCheckpoint]:
        problems: List[str] = []
        while True:
            latest = self.find_latest_checkpoint()
            if latest is None:
                if problems:
                    raise ConfigurationError(
                        f"No checkpoint in {self._serialization_dir} can be read: "
                        + "; ".join(problems)
                    )
                return None
            try:
                return super().load_checkpoint()
            except _DAMAGE as error:
                if _WEIGHTS_ONLY_REFUSAL in str(error):
                    raise
                damaged = [(path, _unreadable(path)) for path in latest]
                found = [f"{path} ({problem})" for path, problem in damaged if problem]
                if not found:
                    raise
                problems.extend(found)
                for path in latest:
                    if os.path.exists(path):
                        os.replace(path, path + ".damaged")
                logger.warning(
                    "Cannot recover from checkpoint %s; renamed its files to *.damaged and trying "
                    "the previous checkpoint",
                    ", ".join(found),
                )
