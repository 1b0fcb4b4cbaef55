"""
B19: when a distributed run's training ends, every worker destroys its process group, and the
test data is evaluated whole. A one-process gloo group stands in for the workers' (the two-process
run is tests/training/test_distributed_training.py).
"""

from typing import Any, Dict, Iterable

import pytest
import torch.distributed as dist
from allennlp.commands.train import TrainModel
from allennlp.data import DatasetReader, Instance

from allennlp_multilang_elmo.compat._patching import original


class _Trainer:
    def __init__(self, distributed: bool, fails: bool = False) -> None:
        self._distributed = distributed
        self.fails = fails

    def train(self) -> Dict[str, Any]:
        if self.fails:
            raise RuntimeError("a batch failed")
        return {"epoch": 0}


class _Reader(DatasetReader):
    def _read(self, file_path: str) -> Iterable[Instance]:
        return []


class _Loader:
    """A data loader as far as `TrainModel` looks at it."""

    def __init__(self) -> None:
        self.reader = _Reader()


@pytest.fixture
def process_group(tmp_path):
    dist.init_process_group(
        "gloo", init_method=f"file://{tmp_path / 'store'}", world_size=1, rank=0
    )
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


def train_loop(tmp_path, trainer: _Trainer) -> TrainModel:
    return TrainModel(
        serialization_dir=str(tmp_path),
        model=None,  # type: ignore[arg-type]
        trainer=trainer,  # type: ignore[arg-type]
        evaluation_data_loader=_Loader(),  # type: ignore[arg-type]
        evaluate_on_test=True,
    )


def test_stock_run_leaves_the_process_group_to_the_interpreter_exit(process_group, tmp_path):
    loop = train_loop(tmp_path, _Trainer(distributed=True))
    assert original(TrainModel, "run")(loop) == {"epoch": 0}
    # The first worker's `finish` would reduce its test metrics over workers that have returned,
    # and on a share of the test data only.
    assert dist.is_initialized()
    assert loop.evaluation_data_loader.reader.get_distributed_info() is not None


def test_a_distributed_run_ends_with_its_process_group(process_group, tmp_path):
    loop = train_loop(tmp_path, _Trainer(distributed=True))
    assert loop.run() == {"epoch": 0}
    assert not dist.is_initialized()
    # `finish` evaluates all of the test data in the first worker alone.
    assert loop.evaluation_data_loader.reader.get_distributed_info() is None


def test_other_runs_keep_the_process_group(process_group, tmp_path):
    # Not a distributed trainer: the group belongs to whoever made it.
    assert train_loop(tmp_path, _Trainer(distributed=False)).run() == {"epoch": 0}
    assert dist.is_initialized()
    # A failed run: destroying could block on a worker that is still in a collective.
    with pytest.raises(RuntimeError, match="a batch failed"):
        train_loop(tmp_path, _Trainer(distributed=True, fails=True)).run()
    assert dist.is_initialized()
