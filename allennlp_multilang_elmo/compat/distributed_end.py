"""
B19: a distributed run's process group outlives training: workers may abort at exit, and
`evaluate_on_test` fails.

`allennlp train`'s `_train_worker` initialises a process group in every worker and never destroys
it. Two things break. (1) A worker that returns leaves the group to the interpreter's exit, where
gloo's threads may still hold work objects: the worker sometimes aborts (`terminate called without
an active exception`, SIGABRT) and the whole run fails after training has finished (it failed a CI
run of this project). (2) After training only the first worker calls `TrainModel.finish`, whose
`evaluate_on_test` evaluation reduces its metrics across workers that have already returned:
`Connection closed by peer`, every time.

The patch wraps `TrainModel.run`: when a distributed run's training returns, every worker waits
for the others and destroys its group (a failed run is left alone: a destroy can block on a worker
that is still in a collective). The first worker then evaluates the test data by itself, all of it:
the evaluation reader's share of the data (fixed when the reader was built in a worker) is reset to
the whole.
"""

import functools
from typing import Any, Callable, Dict

import torch.distributed as dist
from allennlp.commands.train import TrainModel

from allennlp_multilang_elmo.compat._patching import replace_attribute, written_for


def _ending_the_process_group(run: Callable[[TrainModel], Dict[str, Any]]) -> Callable:
    @functools.wraps(run)
    def wrapper(self: TrainModel) -> Dict[str, Any]:
        metrics = run(self)
        if getattr(self.trainer, "_distributed", False) and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()
            reader = getattr(self.evaluation_data_loader, "reader", None)
            if reader is not None:
                reader._set_distributed_info(None)
        return metrics

    return wrapper


# AllenNLP's training command, whatever the torch version.
VERSIONS = {"allennlp": "==2.10.1"}
"""The installed versions this patch was written for (see `written_for`)."""


def apply() -> None:
    """Makes every worker of a distributed run destroy its process group when training ends."""
    if not written_for("B19 (distributed_end)", VERSIONS):
        return
    replace_attribute(TrainModel, "run", _ending_the_process_group)
