"""
B20: `MultiProcessDataLoader`'s workers make every run read different batches, and outlive a
killed trainer.

1. With `num_workers > 0` and `max_instances_in_memory`, the workers shuffle and bucket the
   batches (samplers draw from Python's `random`), but nothing seeds a worker: a forked one starts
   from Python's own reseeding after a fork (the system's entropy), a spawned one from a fresh
   interpreter's. The patch makes the main process draw a seed from its own `random` when it
   starts workers (so each epoch draws anew, and a resumed epoch draws what the interrupted one
   drew), and every worker seed Python's, numpy's and torch's generators with that seed plus its
   worker id before reading.
2. The main process takes the workers' batches (or instances) from one queue in the order they
   arrive, which depends on timing. The patch tags each item with its worker and hands the items
   over in turn: worker 0's first, worker 1's first, ..., then each worker's second, and so on (a
   worker that has finished drops out of the turn). With both, two runs of one config train on the
   same batches, and `--recover` (the `exact_resume` callback puts the main process's generator
   states back) repeats the interrupted run's.
3. A trainer killed by a signal that cannot be caught (SIGKILL: the out-of-memory killer, a job
   scheduler) leaves its workers running for ever, blocked on their queue, holding their memory
   and the trainer's output pipes. On Linux the patch asks the kernel to kill each worker when
   the process that started it ends.
"""

import collections
import ctypes
import functools
import os
import random
import signal
import sys
from typing import Any, Callable, Deque, Iterator, List, Optional, Tuple

import numpy
import torch
from allennlp.data.data_loaders import multiprocess_data_loader
from allennlp.data.data_loaders.multiprocess_data_loader import MultiProcessDataLoader

from allennlp_multilang_elmo.compat._patching import StandIn, replace_attribute, written_for
from allennlp_multilang_elmo.compat.data_loader_spawn import loader_module_mp_bound_to

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


class _OrderedQueue(StandIn):
    """
    The main process's end of the workers' queue: `get` hands over the items, which the workers
    put as `(worker id, item)`, in turn by worker, each worker's in its own order. A worker's last
    item is its end mark `(None, None)`, after which it leaves the turn.
    """

    def __init__(self, queue: Any, num_workers: int) -> None:
        super().__init__(queue)
        self._pending: List[Deque[Any]] = [collections.deque() for _ in range(num_workers)]
        self._turns = list(range(num_workers))  # the workers that have not ended
        self._turn = 0

    def __reduce__(self) -> Tuple[Any, ...]:
        # Sent to spawned workers, which only put.
        return _OrderedQueue, (self.wrapped, len(self._pending))

    def get(self) -> Any:
        if not self._turns:
            return self.wrapped.get()
        worker = self._turns[self._turn]
        while not self._pending[worker]:
            sender, item = self.wrapped.get()
            self._pending[sender].append(item)
        item = self._pending[worker].popleft()
        if item[0] is None and item[1] is None:
            del self._turns[self._turn]
        else:
            self._turn += 1
        if self._turn >= len(self._turns):
            self._turn = 0
        return item


class _TaggingQueue(StandIn):
    """A worker's end of the queue: puts each item as `(worker id, item)`."""

    def __init__(self, queue: Any, worker_id: int) -> None:
        super().__init__(queue)
        self._worker_id = worker_id

    def put(self, item: Any, *args: Any, **kwargs: Any) -> None:
        self.wrapped.put((self._worker_id, item), *args, **kwargs)


class _OrderingContext(StandIn):
    """A multiprocessing context whose joinable queues are `_OrderedQueue`s."""

    def __init__(self, context: Any, num_workers: int) -> None:
        super().__init__(context)
        self._num_workers = num_workers

    def JoinableQueue(self, *args: Any, **kwargs: Any) -> _OrderedQueue:
        return _OrderedQueue(self.wrapped.JoinableQueue(*args, **kwargs), self._num_workers)


class _OrderingMultiprocessing(StandIn):
    """`multiprocessing` as the loader's module sees it while it starts workers."""

    def __init__(self, module: Any, num_workers: int) -> None:
        super().__init__(module)
        self._num_workers = num_workers

    def get_context(self, method: Optional[str] = None) -> _OrderingContext:
        return _OrderingContext(self.wrapped.get_context(method), self._num_workers)


_DONE = object()


# `Any` for the loader: mypy cannot infer the types of `MultiProcessDataLoader`'s attributes.
def _starting_workers(starts_workers: Callable[[Any], bool]) -> Callable:
    def make_replacement(iterate: Callable) -> Callable:
        @functools.wraps(iterate)
        def wrapper(self: Any) -> Iterator[Any]:
            if not starts_workers(self):
                yield from iterate(self)
                return
            setattr(self, _START, (random.getrandbits(31), os.getpid()))
            items = iterate(self)
            # The workers and their queue start with the first item.
            mp = _OrderingMultiprocessing(multiprocess_data_loader.mp, self.num_workers)
            with loader_module_mp_bound_to(mp):
                first = next(items, _DONE)
            if first is not _DONE:
                yield first
                yield from items

        return wrapper

    return make_replacement


def _started(worker: Callable) -> Callable:
    @functools.wraps(worker)
    def wrapper(self: Any, worker_id: int, queue: Any, *args: Any) -> None:
        seed, parent = getattr(self, _START)
        # A forkserver's workers are the server's children, not the main process's.
        end_with_parent(None if self.start_method == "forkserver" else parent)
        seed_generators(seed + worker_id)
        if isinstance(queue, _OrderedQueue):
            queue = _TaggingQueue(queue.wrapped, worker_id)
        worker(self, worker_id, queue, *args)

    return wrapper


# An AllenNLP bug, whatever the torch version.
VERSIONS = {"allennlp": "==2.10.1"}
"""The installed versions this patch was written for (see `written_for`)."""


def apply() -> None:
    """Makes data-loader workers seeded, taken in turn, and ended with the main process."""
    if not written_for("B20 (data_loader_workers)", VERSIONS):
        return
    # The two places where MultiProcessDataLoader starts workers: batch workers for an epoch,
    # instance workers to read the data (once, without `max_instances_in_memory`).
    replace_attribute(
        MultiProcessDataLoader,
        "_iter_batches",
        _starting_workers(lambda loader: loader._instances is None and loader.num_workers > 0),
    )
    replace_attribute(
        MultiProcessDataLoader,
        "iter_instances",
        _starting_workers(lambda loader: not loader._instances and loader.num_workers > 0),
    )
    for name in ("_instance_worker", "_batch_worker"):
        replace_attribute(MultiProcessDataLoader, name, _started)
