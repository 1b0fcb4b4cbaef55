"""
B20: `MultiProcessDataLoader`'s workers start with unseeded generators, and outlive a killed
trainer.

1. With `num_workers > 0` and `max_instances_in_memory`, the workers shuffle and bucket the
   batches (samplers draw from Python's `random`), but nothing seeds a worker: a forked one starts
   from Python's own reseeding after a fork (the system's entropy), a spawned one from a fresh
   interpreter's. Two runs of one config therefore train on different batches, and `--recover`
   (the `exact_resume` callback puts the main process's generator states back) cannot repeat the
   interrupted run's batches. The patch makes the main process draw a seed from its own `random`
   when it starts workers (so each epoch draws anew, and a resumed epoch draws what the
   interrupted one drew), and every worker seed Python's, numpy's and torch's generators with that
   seed plus its worker id before reading. One worker is then reproducible batch for batch;
   several still hand over their data in the order they finish it (AllenNLP's loader keeps no
   order between workers).
2. A trainer killed by a signal that cannot be caught (SIGKILL: the out-of-memory killer, a job
   scheduler) leaves its workers running for ever, blocked on their queue, holding their memory
   and the trainer's output pipes. On Linux the patch asks the kernel to kill each worker when
   the process that started it ends.
"""

import ctypes
import functools
import os
import random
import signal
import sys
from typing import Any, Callable, Iterator, Optional, Tuple

import numpy
import torch
from allennlp.data.data_loaders.multiprocess_data_loader import MultiProcessDataLoader

from allennlp_multilang_elmo.compat._patching import replace_attribute, written_for

_START = "_compat_worker_start"
"""
The loader attribute that carries (seed, main process id) to the workers it starts (forked, or
pickled with the loader when spawned).
"""

_PR_SET_PDEATHSIG = 1
"""Linux's `prctl` option: the signal a process gets when the thread that started it ends."""


def seed_generators(seed: int) -> None:
    """Seeds Python's, numpy's and torch's global generators with `seed` (a 31-bit integer)."""
    random.seed(seed)
    numpy.random.seed(seed)
    torch.manual_seed(seed)


def end_with_parent(parent: Optional[int]) -> None:
    """
    On Linux, has this process killed when its parent ends; exits now if `parent` (the process id
    it should have) has ended already. Elsewhere, does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


# `Any` for the loader: mypy cannot infer the types of `MultiProcessDataLoader`'s attributes.
def _recording_the_start(starts_workers: Callable[[Any], bool]) -> Callable:
    def make_replacement(iterate: Callable) -> Callable:
        @functools.wraps(iterate)
        def wrapper(self: MultiProcessDataLoader) -> Iterator[Any]:
            # Only when workers start: otherwise the main process's draws are left alone.
            if starts_workers(self):
                setattr(self, _START, (random.getrandbits(31), os.getpid()))
            yield from iterate(self)

        return wrapper

    return make_replacement


def _started(worker: Callable) -> Callable:
    @functools.wraps(worker)
    def wrapper(self: Any, worker_id: int, *args: Any) -> None:
        start: Tuple[int, int] = getattr(self, _START)
        # A forkserver's workers are the server's children, not the main process's.
        end_with_parent(None if self.start_method == "forkserver" else start[1])
        seed_generators(start[0] + worker_id)
        worker(self, worker_id, *args)

    return wrapper


# An AllenNLP bug, whatever the torch version.
VERSIONS = {"allennlp": "==2.10.1"}
"""The installed versions this patch was written for (see `written_for`)."""


def apply() -> None:
    """Makes every data-loader worker seed its generators and end with the main process."""
    if not written_for("B20 (data_loader_worker_start)", VERSIONS):
        return
    # The two places where MultiProcessDataLoader starts workers: batch workers for an epoch,
    # instance workers to read the data (once, without `max_instances_in_memory`).
    replace_attribute(
        MultiProcessDataLoader,
        "_iter_batches",
        _recording_the_start(lambda loader: loader._instances is None and loader.num_workers > 0),
    )
    replace_attribute(
        MultiProcessDataLoader,
        "iter_instances",
        _recording_the_start(lambda loader: not loader._instances and loader.num_workers > 0),
    )
    for name in ("_instance_worker", "_batch_worker"):
        replace_attribute(MultiProcessDataLoader, name, _started)
