"""
B9: `MultiProcessDataLoader` cannot start workers with `start_method` "spawn" or "forkserver".

1. `_start_instance_workers` and `_start_batch_workers` create the tqdm lock that they hand to every
   worker with `mp.RLock()`, i.e. in the default (fork) context, but start the workers from
   `mp.get_context(start_method)`. Python refuses to send a fork-context lock to a spawned process:
   `RuntimeError: A SemLock created in a fork context is being shared with a process in a spawn
   context`. The patch runs both methods with the `mp` name of their module bound to the loader's
   own context, which has the same `RLock()` factory, so the lock and the workers share a context.
2. A spawned worker is a fresh interpreter: it imports the modules of the objects it unpickles,
   but no plugins, so the patches of this package are missing there (for example, workers would
   read with the unpatched `universal_dependencies` reader, B11). AllenNLP re-imports plugins in
   its spawned distributed-training workers for the same reason. The patch starts every worker
   that is not forked through `run_patched`, which applies the patches before running the
   worker's target.
"""

import contextlib
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any, Callable, Iterator

from allennlp.data.data_loaders import multiprocess_data_loader
from allennlp.data.data_loaders.multiprocess_data_loader import MultiProcessDataLoader

from allennlp_multilang_elmo.compat._patching import StandIn, replace_attribute, written_for


def run_patched(target: Callable[..., None], *args: Any) -> None:
    """Applies this package's patches in a worker process, then runs the worker's `target`."""
    # Imported here, not at the top: `compat/__init__` imports this module.
    from allennlp_multilang_elmo.compat import apply_patches

    apply_patches()
    target(*args)


class _PatchedWorkerContext(StandIn):
    """A multiprocessing context whose processes run their target through `run_patched`."""

    def Process(self, target: Callable[..., None], args: tuple = (), **kwargs) -> BaseProcess:
        # `BaseContext` declares no `Process`; every concrete context (what `get_context` returns)
        # defines it.
        return self.wrapped.Process(target=run_patched, args=(target, *args), **kwargs)


@contextlib.contextmanager
def loader_module_mp_bound_to(stand_in: Any) -> Iterator[None]:
    """
    Binds the name `mp` of AllenNLP's data-loader module (its `multiprocessing`) to `stand_in`
    for the block: only while the loader starts its workers, when nothing else reads the name.
    """
    module_mp = multiprocess_data_loader.mp
    multiprocess_data_loader.mp = stand_in
    try:
        yield
    finally:
        multiprocess_data_loader.mp = module_mp


def _in_loader_context(start_workers: Callable) -> Callable:
    def wrapper(self: MultiProcessDataLoader, queue, ctx: BaseContext):
        # Forked workers inherit the patched modules as they are.
        worker_ctx = ctx if ctx.get_start_method() == "fork" else _PatchedWorkerContext(ctx)
        with loader_module_mp_bound_to(ctx):
            return start_workers(self, queue, worker_ctx)

    return wrapper


# An AllenNLP bug, whatever the torch version.
VERSIONS = {"allennlp": "==2.10.1"}
"""The installed versions this patch was written for (see `written_for`)."""


def apply() -> None:
    """Makes the workers' tqdm lock come from their own context and applies the patches in them."""
    if not written_for("B9 (data_loader_spawn)", VERSIONS):
        return
    for name in ("_start_instance_workers", "_start_batch_workers"):
        replace_attribute(MultiProcessDataLoader, name, _in_loader_context)
