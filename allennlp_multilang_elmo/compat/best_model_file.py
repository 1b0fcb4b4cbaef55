"""
B17: a kill while the trainer replaces `best.th` leaves no `best.th`.

When an epoch is the best so far, `GradientDescentTrainer` removes `best.th` and then copies (or
hard-links) the newest model state to it, or writes it with `torch.save` in place: killed between
the two, or while writing, the run folder has no (or a truncated) `best.th`, and the run's best
model is lost. The patch makes the trainer module's `os.remove` of a `best*.th` file a no-op, its
`hardlink_or_copy` copy to a temporary name and rename over the old file, and
`_save_model_state` write under a temporary name and rename: `best.th` is at every moment either
the previous best model or the new one, whole.
"""

import functools
import os
import shutil
from typing import Any, Callable

from allennlp.training import gradient_descent_trainer
from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

from allennlp_multilang_elmo.common.atomic_files import atomic_file
from allennlp_multilang_elmo.compat._patching import replace_attribute, written_for


def _is_best_model(path: Any) -> bool:
    name = os.path.basename(str(path))
    return name.startswith("best") and name.endswith(".th")


class _OsWithoutBestModelRemoval:
    """The trainer module's `os`, except that removing `best*.th` is left to the replace after."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    @staticmethod
    def remove(path: Any) -> None:
        if not _is_best_model(path):
            os.remove(path)


def _atomic_copy(hardlink_or_copy: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    @functools.wraps(hardlink_or_copy)
    def wrapper(source: Any, destination: Any) -> None:
        with atomic_file(str(destination)) as temporary:
            shutil.copyfile(source, temporary)

    return wrapper


def _atomic_save(save: Callable[[GradientDescentTrainer, str], None]) -> Callable:
    @functools.wraps(save)
    def wrapper(self: GradientDescentTrainer, path: str) -> None:
        with atomic_file(path) as temporary:
            save(self, temporary)

    return wrapper


# AllenNLP's trainer, whatever the torch version.
VERSIONS = {"allennlp": "==2.10.1"}
"""The installed versions this patch was written for (see `written_for`)."""


def apply() -> None:
    """Makes the trainer replace `best.th` atomically."""
    if not written_for("B17 (best_model_file)", VERSIONS):
        return
    replace_attribute(gradient_descent_trainer, "os", lambda _: _OsWithoutBestModelRemoval())
    replace_attribute(gradient_descent_trainer, "hardlink_or_copy", _atomic_copy)
    replace_attribute(GradientDescentTrainer, "_save_model_state", _atomic_save)
