"""
`allennlp train` killed mid-epoch by a signal and resumed with `--recover` ends exactly as the
uninterrupted run: same metrics, same weights (the shipped demo config, smaller, with tiny models).
"""

import json
import os
import random
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import numpy
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from helpers.demo_training import (
    ALLENNLP,
    BILM_TEXT,
    DEMO_LANGUAGES,
    FIXTURES,
    OFFLINE,
    REPO_ROOT,
    bilm_config,
    demo_config,
)

from allennlp_multilang_elmo.modules.tiny_elmo import write_multilang_elmo
from allennlp_multilang_elmo.training.callbacks.exact_resume import (
    ExactResumeCallback,
    carried_states,
    random_states,
    restore_carried_states,
    set_random_states,
)

pytestmark = pytest.mark.end_to_end

# 8 sentences of each of 3 languages in batches of 4: 6 batches an epoch, a checkpoint every 2.
BATCHES_PER_EPOCH = 6
# Killed after the 3rd batch of epoch 1; the newest checkpoint is after its 2nd.
KILL_AFTER_OPTIMIZER_STEPS = BATCHES_PER_EPOCH + 3

# Imported with `--include-package` by the run to kill: SIGKILL after the N-th optimizer step (in
# distributed training, of process KILL_RANK).
KILLER = """
import os
import signal

from torch.optim.optimizer import register_optimizer_step_post_hook

import torch.distributed

_steps = 0


def _kill(optimizer, args, kwargs):
    global _steps
    _steps += 1
    rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
    if _steps == int(os.environ["KILL_AFTER_OPTIMIZER_STEPS"]) and rank == int(
        os.environ.get("KILL_RANK", "0")
    ):
        os.kill(os.getpid(), signal.SIGKILL)


register_optimizer_step_post_hook(_kill)
"""


def test_random_states_survive_a_weights_only_round_trip(tmp_path):
    random.seed(3)
    numpy.random.seed(3)
    torch.manual_seed(3)
    numpy.random.standard_normal()  # leaves a cached Gaussian in numpy's state
    torch.save(random_states(), tmp_path / "states.th")
    expected = (random.random(), numpy.random.standard_normal(2).tolist(), torch.rand(2).tolist())
    set_random_states(torch.load(tmp_path / "states.th"))
    assert (random.random(), numpy.random.standard_normal(2).tolist(), torch.rand(2).tolist()) == (
        expected
    )


def test_a_checkpoint_of_two_processes_is_refused_by_one(tmp_path):
    callback = ExactResumeCallback(str(tmp_path))
    state = {"epochs_completed": 1, "batches_in_epoch_completed": 3, "processes": [{}, {}]}
    with pytest.raises(ConfigurationError, match="run of 2 training process.*this run has 1"):
        callback.load_state_dict(state)


class _StatefulModule(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.state = None

    def carried_state(self):
        return self.state

    def restore_carried_state(self, state) -> None:
        self.state = state


def test_carried_states_by_module_name():
    model = torch.nn.ModuleDict({"en": _StatefulModule(), "other": torch.nn.Linear(1, 1)})
    model["en"].state = {"hidden": torch.ones(2)}
    saved = carried_states(model)
    assert list(saved) == ["en"]
    model["en"].state = None
    restore_carried_states(model, saved)
    assert torch.equal(model["en"].state["hidden"], torch.ones(2))
    with pytest.raises(Exception, match="module 'de'"):
        restore_carried_states(model, {"de": None})


def allennlp_train(config: Path, out: Path, *args: str) -> None:
    result = subprocess.run(
        [ALLENNLP, "train", str(config), "-s", str(out), *args],
        cwd=REPO_ROOT,
        env=OFFLINE,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-5000:]


def final_results(out: Path) -> Dict[str, Any]:
    metrics = json.loads((out / "metrics.json").read_text())
    # Everything but times, memory and which epochs this process trained.
    return {
        key: value
        for key, value in metrics.items()
        if not key.endswith(("_duration", "_memory_MB"))
        and key not in ("training_start_epoch", "training_epochs")
    }


def uninterrupted_run(root: Path, config: Dict[str, Any]) -> Tuple[Path, Path, Path]:
    """Writes `config`, trains it without interruption, and writes the plugin that kills a run."""
    config_path = root / "config.json"
    config_path.write_text(json.dumps(config))
    allennlp_train(config_path, root / "uninterrupted")
    (root / "plugin").mkdir()
    (root / "plugin" / "kill_after_steps.py").write_text(KILLER)
    return config_path, root / "uninterrupted", root / "plugin"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The config, its uninterrupted run, and the plugin that kills a run after N steps."""
    root = tmp_path_factory.mktemp("resume")
    files = write_multilang_elmo(str(root / "elmo"), DEMO_LANGUAGES)
    config = demo_config(
        files,
        os.path.join(FIXTURES, "*_pud-ud-train.conllu"),
        os.path.join(FIXTURES, "*_pud-ud-dev.conllu"),
        {
            "dataset_reader": {"instances_per_language": 8},
            # Two data-loader workers shuffle and bucket the batches (seeded and taken in turn:
            # compat B20).
            "data_loader": {
                "batch_sampler": {"batch_size": 4},
                "max_instances_in_memory": 24,
                "num_workers": 2,
            },
            "trainer": {"num_epochs": 3, "checkpointer": {"save_every_num_batches": 2}},
        },
    )
    # Written as for AllenNLP 0.9: no line asks for exact resume or a recoverable checkpointer.
    assert "type" not in config["trainer"]["checkpointer"]
    assert [callback["type"] for callback in config["trainer"]["callbacks"]] == ["console_logger"]
    return uninterrupted_run(root, config)


def killed_run(runs, out: Path, steps: int, rank: Optional[int] = None) -> str:
    """Trains until the kill; `rank`: a worker process of a distributed run. Returns stderr."""
    config_path, _, plugin = runs
    killed = subprocess.run(
        [ALLENNLP, "train", str(config_path), "-s", str(out)]
        + ["--include-package", "kill_after_steps"],
        cwd=REPO_ROOT,
        env={
            **OFFLINE,
            "PYTHONPATH": str(plugin),
            "KILL_AFTER_OPTIMIZER_STEPS": str(steps),
            "KILL_RANK": str(rank or 0),
        },
        capture_output=True,
        text=True,
    )
    # The killed process itself, or the launcher of the killed worker, which fails loudly.
    assert killed.returncode == (-signal.SIGKILL if rank is None else 1)
    assert not (out / "metrics.json").exists()
    return killed.stderr


def test_killed_and_resumed_training_ends_as_the_uninterrupted_one(runs, tmp_path):
    config_path, uninterrupted, _ = runs
    resumed = tmp_path / "resumed"
    killed_run(runs, resumed, KILL_AFTER_OPTIMIZER_STEPS)
    assert (resumed / "model_state_e1_b2.th").is_file()
    # A second copy whose newest checkpoint is truncated, as a kill while saving leaves it.
    damaged = tmp_path / "damaged"
    shutil.copytree(resumed, damaged)
    newest = damaged / "model_state_e1_b2.th"
    newest.write_bytes(newest.read_bytes()[:1000])

    allennlp_train(config_path, resumed, "--recover")
    log = (resumed / "out.log").read_text()
    assert "5 carried biLM states restored at epoch 1, batch 2" in log
    assert_same_results(resumed, uninterrupted)

    # The recoverable checkpointer falls back to the checkpoint before; resuming is exact from it.
    allennlp_train(config_path, damaged, "--recover")
    log = (damaged / "out.log").read_text()
    assert "model_state_e1_b2.th" in log and "trying the previous checkpoint" in log
    assert "5 carried biLM states restored at epoch 1, batch 0" in log
    assert_same_results(damaged, uninterrupted)


# Optimizer steps before the kill (6 a epoch, a checkpoint every 2 and at each epoch's end): in the
# first epoch before and after its first checkpoint, at its last batch (before validation and
# the epoch's checkpoint), at the start of the last epoch and late in it.
@pytest.mark.parametrize("steps", [1, 3, 6, 13, 16])
def test_a_kill_at_any_point_resumes_exactly(runs, tmp_path, steps):
    config_path, uninterrupted, _ = runs
    resumed = tmp_path / "resumed"
    killed_run(runs, resumed, steps)
    allennlp_train(config_path, resumed, "--recover")
    assert_same_results(resumed, uninterrupted)


def assert_same_results(resumed: Path, uninterrupted: Path, epochs: int = 3) -> None:
    assert final_results(resumed) == final_results(uninterrupted)
    final_weights = [
        torch.load(out / f"model_state_e{epochs}_b0.th") for out in (uninterrupted, resumed)
    ]
    assert final_weights[0].keys() == final_weights[1].keys()
    for name, weight in final_weights[0].items():
        assert torch.equal(weight, final_weights[1][name]), name


@pytest.fixture(scope="module")
def bilm_runs(tmp_path_factory):
    """A biLM config (160 lines in 8 streams: 20 batches an epoch) and its uninterrupted run."""
    root = tmp_path_factory.mktemp("resume-bilm")
    config = bilm_config(
        BILM_TEXT,
        BILM_TEXT,
        {"trainer": {"num_epochs": 2, "checkpointer": {"save_every_num_batches": 3}}},
    )
    return uninterrupted_run(root, config)


# The biLM carries its LSTM state from batch to batch and reads a streamed corpus: killed mid-epoch
# after a checkpoint, at the first epoch's last batch, and mid-way through the second epoch.
@pytest.mark.parametrize("steps", [5, 20, 28])
def test_a_killed_bilm_resumes_its_streams_and_state_exactly(bilm_runs, tmp_path, steps):
    config_path, uninterrupted, _ = bilm_runs
    resumed = tmp_path / "resumed"
    killed_run(bilm_runs, resumed, steps)
    allennlp_train(config_path, resumed, "--recover")
    assert_same_results(resumed, uninterrupted, epochs=2)


@pytest.fixture(scope="module")
def distributed_bilm_runs(tmp_path_factory):
    """The biLM config in two processes (8 streams each: 10 batches an epoch) and its run."""
    root = tmp_path_factory.mktemp("resume-distributed")
    config = bilm_config(
        BILM_TEXT,
        BILM_TEXT,
        {
            "trainer": {"num_epochs": 2, "checkpointer": {"save_every_num_batches": 3}},
            "distributed": {"cuda_devices": [-1, -1]},
        },
    )
    return uninterrupted_run(root, config)


# The second process killed mid-epoch after a checkpoint, and early in the second epoch.
@pytest.mark.parametrize("steps", [5, 13])
def test_a_killed_worker_fails_the_run_and_resuming_is_exact(
    distributed_bilm_runs, tmp_path, steps
):
    config_path, uninterrupted, _ = distributed_bilm_runs
    resumed = tmp_path / "resumed"
    stderr = killed_run(distributed_bilm_runs, resumed, steps, rank=1)
    # torch's launcher names the killed process, or the other one if its error came first.
    assert re.search(r"process [01] terminated with (signal SIGKILL|the following error)", stderr)
    allennlp_train(config_path, resumed, "--recover")
    assert_same_results(resumed, uninterrupted, epochs=2)
