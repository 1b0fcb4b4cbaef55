"""
B20: data-loader workers seed their generators from the main process's `random` and hand over
their batches in turn, so the batches repeat from run to run (and on `--recover`) and change from
epoch to epoch; and the workers end with a trainer killed by SIGKILL.
"""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
from allennlp.data import DatasetReader, Instance, Vocabulary
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.data.fields import MetadataField
from helpers.demo_training import FIXTURES

from allennlp_multilang_elmo.compat._patching import unpatched
from allennlp_multilang_elmo.data.dataset_readers.universal_dependencies_multilang import (
    UniversalDependenciesMultiLangDatasetReader,
)
from allennlp_multilang_elmo.data.samplers.same_language_batch_sampler import (
    SameLanguageBatchSampler,
)
from allennlp_multilang_elmo.data.token_indexers.elmo_characters_multilang_indexer import (
    ELMoTokenCharactersMultiLangIndexer,
)

TRAIN = f"{FIXTURES}/*_pud-ud-train.conllu"
PATCHED = ("_iter_batches", "iter_instances", "_instance_worker", "_batch_worker")


def loader(start_method: str, num_workers: int = 1) -> MultiProcessDataLoader:
    """Workers that read, shuffle and bucket the batches of every epoch (the demo's setup)."""
    reader = UniversalDependenciesMultiLangDatasetReader(
        token_indexers={"elmo": ELMoTokenCharactersMultiLangIndexer()}
    )
    data_loader = MultiProcessDataLoader(
        reader,
        TRAIN,
        batch_sampler=SameLanguageBatchSampler(batch_size=2),
        num_workers=num_workers,
        start_method=start_method,
        max_instances_in_memory=40,
    )
    # Every namespace has an unknown entry: the labels need no vocabulary here.
    data_loader.index_with(Vocabulary(non_padded_namespaces=()))
    return data_loader


def epoch(data_loader: MultiProcessDataLoader) -> List[List[str]]:
    """Each batch's sentences, by their first words."""
    return [
        [" ".join(sentence["words"][:4]) for sentence in batch["metadata"]] for batch in data_loader
    ]


def test_stock_workers_shuffle_differently_from_the_same_main_state():
    data_loader = loader("fork")
    with unpatched(MultiProcessDataLoader, *PATCHED):
        random.seed(1)
        first = epoch(data_loader)
        random.seed(1)
        assert epoch(data_loader) != first


@pytest.mark.parametrize("num_workers", [1, 2])
def test_the_main_state_decides_the_workers_batches(num_workers):
    data_loader = loader("fork", num_workers)
    random.seed(1)
    first, second = epoch(data_loader), epoch(data_loader)
    assert first != second  # each epoch draws anew
    random.seed(1)
    assert epoch(data_loader) == first
    assert epoch(data_loader) == second


def test_spawned_workers_get_the_epochs_seed():
    data_loader = loader("spawn", num_workers=2)
    random.seed(1)
    first = epoch(data_loader)
    random.seed(1)
    assert epoch(data_loader) == first


class _Numbers(DatasetReader):
    """0, 1, ..., 7, shared out among the workers; worker 0 is slow to start."""

    def __init__(self) -> None:
        super().__init__(manual_distributed_sharding=True, manual_multiprocess_sharding=True)

    def _read(self, file_path: str) -> Iterator[Instance]:
        worker = self.get_worker_info()
        if worker is not None and worker.id == 0:
            time.sleep(1)
        for number in self.shard_iterable(range(8)):
            yield Instance({"number": MetadataField(number)})


def numbers_loader(max_instances_in_memory: Optional[int]) -> MultiProcessDataLoader:
    """Two instance workers (without `max_instances_in_memory`) or batch workers (with it)."""
    data_loader = MultiProcessDataLoader(
        _Numbers(),
        "unused",
        batch_size=1,
        num_workers=2,
        max_instances_in_memory=max_instances_in_memory,
    )
    data_loader.index_with(Vocabulary())
    return data_loader


def test_stock_loader_hands_over_data_as_it_arrives():
    with unpatched(MultiProcessDataLoader, *PATCHED):
        numbers = [batch["number"][0] for batch in numbers_loader(2)]
    # Worker 0 reads 0, 2, 4, 6 (after a second) and worker 1 reads 1, 3, 5, 7.
    assert numbers[0] == 1


@pytest.mark.parametrize("max_instances_in_memory", [None, 2])
def test_workers_hand_over_their_data_in_turn(max_instances_in_memory):
    numbers = [batch["number"][0] for batch in numbers_loader(max_instances_in_memory)]
    assert numbers == list(range(8))


# A trainer's main process that starts its data-loader worker (stock or patched), prints the
# worker's process id and is killed.
KILLED_TRAINER = """
import contextlib, multiprocessing, os, signal, sys, time
sys.path[:0] = sys.argv[2:]
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.data.fields import MetadataField
from allennlp_multilang_elmo.compat._patching import unpatched
from test_compat_data_loader_workers import PATCHED, loader
stock = sys.argv[1] == "stock"
with unpatched(MultiProcessDataLoader, *PATCHED) if stock else contextlib.nullcontext():
    batches = iter(loader("fork"))
    next(batches)
    (worker,) = multiprocessing.active_children()
    print(worker.pid, flush=True)
    # Time for the worker to queue all its batches and wait for them to be taken (a worker that
    # is still putting notices that the trainer ended; one that waits never does).
    time.sleep(1)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def killed_trainers_worker(variant: str) -> int:
    here = Path(__file__).parent
    trainer = subprocess.Popen(
        [sys.executable, "-c", KILLED_TRAINER, variant, str(here.parent), str(here)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    worker = int(trainer.stdout.readline())  # type: ignore[union-attr]
    # Not `communicate`: a worker left running holds the pipe open.
    assert trainer.wait() == -signal.SIGKILL
    trainer.stdout.close()  # type: ignore[union-attr]
    return worker


def running(pid: int, seconds: float) -> bool:
    """Whether process `pid` still runs (not ended, nor a zombie) after up to `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state in ("Z", "X"):
            return False
        if time.monotonic() > deadline:
            return True
        time.sleep(0.1)


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")


@linux_only
def test_stock_worker_outlives_its_killed_trainer():
    worker = killed_trainers_worker("stock")
    try:
        assert running(worker, seconds=3)
    finally:
        os.kill(worker, signal.SIGKILL)


@linux_only
def test_a_worker_ends_with_its_killed_trainer():
    assert not running(killed_trainers_worker("patched"), seconds=10)
