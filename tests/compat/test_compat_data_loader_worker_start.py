"""
B20: data-loader workers seed their generators from the main process's `random`, so one worker's
batches repeat from run to run (and on `--recover`) and change from epoch to epoch; and they end
with a trainer killed by SIGKILL.
"""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest
from allennlp.data import Vocabulary
from allennlp.data.data_loaders import MultiProcessDataLoader
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


def loader(start_method: str) -> MultiProcessDataLoader:
    """One worker that reads, shuffles and buckets the batches of every epoch (the demo's setup)."""
    reader = UniversalDependenciesMultiLangDatasetReader(
        token_indexers={"elmo": ELMoTokenCharactersMultiLangIndexer()}
    )
    data_loader = MultiProcessDataLoader(
        reader,
        TRAIN,
        batch_sampler=SameLanguageBatchSampler(batch_size=2),
        num_workers=1,
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


def test_the_main_state_decides_the_workers_batches():
    data_loader = loader("fork")
    random.seed(1)
    first, second = epoch(data_loader), epoch(data_loader)
    assert first != second  # each epoch draws anew
    random.seed(1)
    assert epoch(data_loader) == first
    assert epoch(data_loader) == second


def test_a_spawned_worker_gets_the_epochs_seed():
    data_loader = loader("spawn")
    random.seed(1)
    first = epoch(data_loader)
    random.seed(1)
    assert epoch(data_loader) == first


# A trainer's main process that starts its data-loader worker (stock or patched), prints the
# worker's process id and is killed.
KILLED_TRAINER = """
import contextlib, multiprocessing, os, signal, sys
sys.path[:0] = sys.argv[2:]
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp_multilang_elmo.compat._patching import unpatched
from test_compat_data_loader_worker_start import PATCHED, loader
stock = sys.argv[1] == "stock"
with unpatched(MultiProcessDataLoader, *PATCHED) if stock else contextlib.nullcontext():
    batches = iter(loader("fork"))
    next(batches)
    (worker,) = multiprocessing.active_children()
    print(worker.pid, flush=True)
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
