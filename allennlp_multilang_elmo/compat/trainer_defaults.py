"""
B14: training with the multilingual embedder is safe only for configs that list four extra lines.

AllenNLP's trainer builds only the callbacks and the checkpointer a config names. A config written
as for AllenNLP 0.9 (no `callbacks`, no `checkpointer`) therefore got no portable archive (the
ELMo files stay where they were), a `--recover` that drifts from the uninterrupted run (no
random-number or carried biLM states in checkpoints), epochs that re-read the same sample of a
language-balanced stream with data loader workers, and a `--recover` that fails on a truncated
newest checkpoint. The patch wraps `GradientDescentTrainer.__init__`: when the model holds an
`elmo_token_embedder_multilang` or is a biLM in training (`elmo_bilm_language_model`, which
carries its LSTM state from batch to batch), it adds the trainer callbacks `elmo_files_in_archive`,
`exact_resume` and `reader_pass_per_epoch` unless the config lists them already (also with
`enable_default_callbacks: false`: they are about correct results, not console output), and makes
the stock checkpointer `recoverable` (a subclass that keeps its state and options); in distributed
training on CPUs, unless OMP_NUM_THREADS or MKL_NUM_THREADS is set, each process gets its share
of the machine's cores as torch threads (AllenNLP leaves every process torch's default of all
cores, and their threads then wait for one another). A trainer
whose folder holds a finished run (`model.tar.gz` and `metrics.json`: only `--recover` gets this
far with such a folder) stops before training, so that the run's results are never rewritten.
And a checkpoint names its best model by the path the run was given (`run/best.th`, relative to
the working folder of the run that wrote it); restoring it, the patch finds the file in the
trainer's own serialization folder, so that `--recover` works from any working folder (for every
model: the file is always there). Other models otherwise train exactly as before.
"""

import functools
import os
from typing import Any, Callable

import torch
import torch.distributed as dist
from allennlp.common.checks import ConfigurationError
from allennlp.training.checkpointer import Checkpointer
from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

from allennlp_multilang_elmo.compat._patching import replace_attribute, written_for


def _with_safe_defaults(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def wrapper(self: GradientDescentTrainer, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        # Imported here: the patches are applied before the package's components exist.
        from allennlp_multilang_elmo.modules.token_embedders import multilang_embedders
        from allennlp_multilang_elmo.training.callbacks import (
            ElmoFilesInArchiveCallback,
            ExactResumeCallback,
            ReaderPassPerEpochCallback,
        )
        from allennlp_multilang_elmo.training.callbacks.exact_resume import carried_states
        from allennlp_multilang_elmo.training.recoverable_checkpointer import (
            RecoverableCheckpointer,
        )

        # The embedder, or a model that carries state from batch to batch (a biLM in training).
        if next(multilang_embedders(self.model), None) is None and not carried_states(self.model):
            return
        serialization_dir: str = self._serialization_dir  # type: ignore[has-type]
        finished = [os.path.join(serialization_dir, n) for n in ("model.tar.gz", "metrics.json")]
        if all(os.path.isfile(path) for path in finished):
            raise ConfigurationError(
                f"{serialization_dir} holds a finished run ({' and '.join(finished)}): there is "
                "nothing to recover, and nothing was changed; train into a new folder to train "
                "again"
            )
        for callback_class in (
            ReaderPassPerEpochCallback,
            ExactResumeCallback,
            ElmoFilesInArchiveCallback,
        ):
            if not any(isinstance(callback, callback_class) for callback in self._callbacks):
                self._callbacks.append(callback_class(serialization_dir))
        if self._distributed and self.cuda_device.type == "cpu" and not _threads_set():
            # Processes sharing a machine's cores: with torch's default (every core in each) their
            # threads wait for one another, several times slower than one thread each.
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // dist.get_world_size()))
        if type(self._checkpointer) is Checkpointer:
            # The subclass only overrides `load_checkpoint`: same attributes, same files.
            self._checkpointer.__class__ = RecoverableCheckpointer

    return wrapper


def _threads_set() -> bool:
    """Whether the user chose torch's thread count (the environment variables torch reads)."""
    return any(name in os.environ for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"))


def _best_model_in_the_run_folder(restore: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(restore)
    def wrapper(self: GradientDescentTrainer, *args: Any, **kwargs: Any) -> None:
        restore(self, *args, **kwargs)
        best = self._best_model_filename
        if best is not None:
            # best.th (best_w<rank>.th when sharded) always lives in the serialization folder.
            folder: str = self._serialization_dir  # type: ignore[has-type]
            self._best_model_filename = os.path.join(folder, os.path.basename(best))

    return wrapper


# AllenNLP's trainer, whatever the torch version.
VERSIONS = {"allennlp": "==2.10.1"}
"""The installed versions this patch was written for (see `written_for`)."""


def apply() -> None:
    """Gives every trainer of a model with the multilingual embedder the safe callbacks."""
    if not written_for("B14 (trainer_defaults)", VERSIONS):
        return
    replace_attribute(GradientDescentTrainer, "__init__", _with_safe_defaults)
    replace_attribute(
        GradientDescentTrainer, "_maybe_restore_checkpoint", _best_model_in_the_run_folder
    )
