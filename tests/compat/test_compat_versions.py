"""
Every patch applies only on the versions it was written for, and `compat/README.md` lists each one
with those versions and the tests that show its breakage.
"""

import importlib
import importlib.util
import logging
import pathlib
import re
import warnings
from typing import Callable, Dict, Iterator

import pytest
import torch
from allennlp.commands.train import TrainModel
from allennlp.common.file_utils import TensorCache
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.models import archival
from allennlp.nn.initializers import InitializerApplicator
from allennlp.training import gradient_descent_trainer
from allennlp.training import util as training_util
from allennlp.training.gradient_descent_trainer import GradientDescentTrainer
from allennlp.training.learning_rate_schedulers.pytorch_lr_schedulers import (
    ReduceOnPlateauLearningRateScheduler,
)
from allennlp.training.metrics import attachment_scores as stock_attachment_scores
from allennlp_models.structured_prediction.dataset_readers.universal_dependencies import (
    UniversalDependenciesDatasetReader,
)
from allennlp_models.structured_prediction.predictors.biaffine_dependency_parser import (
    BiaffineDependencyParserPredictor,
)

from allennlp_multilang_elmo import compat
from allennlp_multilang_elmo.compat import (
    _patching,
    amp_warnings,
    attachment_scores,
    best_model_file,
    data_loader_spawn,
    data_loader_workers,
    distributed_end,
    elmo_archives,
    initializer_guard,
    nltk_data,
    reduce_on_plateau,
    resumed_epoch_loss,
    torch_load,
    trainer_defaults,
    universal_dependencies,
)
from allennlp_multilang_elmo.compat._patching import is_patched, unpatched, written_for

REPO_ROOT = pathlib.Path(__file__).parents[2]
COMPAT_README = REPO_ROOT / "allennlp_multilang_elmo" / "compat" / "README.md"


@pytest.fixture
def installed(monkeypatch) -> Iterator[Dict[str, str]]:
    """The installed versions `written_for` sees: edit the dict; a missing name is not installed."""
    versions = {
        "allennlp": "2.10.1",
        "allennlp-models": "2.10.1",
        "torch": "2.14.1",
        "numpy": "2.4.6",
    }
    monkeypatch.setattr(_patching, "installed_version", versions.get)
    # Every test starts with nothing reported yet.
    monkeypatch.setattr(_patching, "_reported", set())
    yield versions


def test_written_for_accepts_matching_local_and_pre_release_versions(installed):
    assert written_for("P", {"allennlp": "==2.10.1", "torch": ">=2.6"})
    installed["torch"] = "2.14.1+cpu"
    assert written_for("P", {"torch": ">=2.6"})
    installed["torch"] = "2.15.0.dev20250101"
    assert written_for("P", {"torch": ">=2.6"})


def test_written_for_refuses_other_versions_with_one_log_line(installed, caplog):
    installed["torch"] = "2.5.1"
    del installed["numpy"]
    with caplog.at_level(logging.WARNING):
        assert not written_for("B7 (torch_load)", torch_load.VERSIONS)
        assert not written_for("B7 (torch_load)", torch_load.VERSIONS)
    assert [r.getMessage() for r in caplog.records] == [
        "Compat patch B7 (torch_load) not applied: written for allennlp==2.10.1, torch>=2.6, "
        "numpy>=2, found allennlp 2.10.1, torch 2.5.1, numpy not installed (see "
        "allennlp_multilang_elmo/compat/README.md)"
    ]


def _nothing_patched(owner, *names: str) -> Callable[[Callable[[], None]], bool]:
    """Applies a patch with the originals of `owner.<names>` in place; whether it left them."""

    def check(apply: Callable[[], None]) -> bool:
        with unpatched(owner, *names):
            apply()
            return not any(is_patched(owner, name) for name in names)

    return check


def _no_safe_globals_added(apply: Callable[[], None]) -> bool:
    saved = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        with unpatched(TensorCache, "__getitem__"):
            apply()
            return torch.serialization.get_safe_globals() == [] and not is_patched(
                TensorCache, "__getitem__"
            )
    finally:
        torch.serialization.add_safe_globals(saved)


def _no_filter_added(apply: Callable[[], None]) -> bool:
    with warnings.catch_warnings():
        warnings.resetwarnings()
        apply()
        return warnings.filters == []


PATCHES = {
    torch_load: _no_safe_globals_added,
    reduce_on_plateau: _nothing_patched(ReduceOnPlateauLearningRateScheduler, "__init__"),
    data_loader_spawn: _nothing_patched(
        MultiProcessDataLoader, "_start_instance_workers", "_start_batch_workers"
    ),
    attachment_scores: _nothing_patched(stock_attachment_scores, "dist_reduce_sum"),
    universal_dependencies: _nothing_patched(
        UniversalDependenciesDatasetReader, "text_to_instance", "apply_token_indexers"
    ),
    amp_warnings: _no_filter_added,
    trainer_defaults: _nothing_patched(
        GradientDescentTrainer, "__init__", "_maybe_restore_checkpoint"
    ),
    elmo_archives: _nothing_patched(archival, "archive_model", "_load_model"),
    initializer_guard: _nothing_patched(InitializerApplicator, "__call__"),
    best_model_file: _nothing_patched(gradient_descent_trainer, "os", "hardlink_or_copy"),
    resumed_epoch_loss: _nothing_patched(training_util, "get_metrics"),
    distributed_end: _nothing_patched(TrainModel, "run"),
    data_loader_workers: _nothing_patched(
        MultiProcessDataLoader,
        "_iter_batches",
        "iter_instances",
        "_instance_worker",
        "_batch_worker",
    ),
}


@pytest.mark.parametrize("patch", PATCHES, ids=lambda module: module.__name__.split(".")[-1])
def test_patch_does_nothing_on_other_versions(installed, caplog, patch):
    leaves_stock_code = PATCHES[patch]
    # On the versions it is for, the patch does its work ...
    assert not leaves_stock_code(patch.apply)
    # ... on any other AllenNLP, it does nothing but log why.
    installed["allennlp"] = "2.11.0"
    installed["allennlp-models"] = "2.11.0"
    with caplog.at_level(logging.WARNING):
        assert leaves_stock_code(patch.apply)
    (message,) = [r.getMessage() for r in caplog.records]
    assert message.startswith("Compat patch B") and "found allennlp 2.11.0" in message


def test_universal_dependencies_predictor_patch_follows_the_reader_patch(installed):
    installed["allennlp-models"] = "2.11.0"
    assert _nothing_patched(BiaffineDependencyParserPredictor, "predict_instance")(
        universal_dependencies.apply
    )


def test_nltk_stub_is_not_created_for_other_allennlp_models(installed, tmp_path, capsys):
    installed["allennlp-models"] = "2.11.0"
    nltk_data.main(["--prefix", str(tmp_path)])
    assert list(tmp_path.iterdir()) == []
    installed["allennlp-models"] = "2.10.1"
    nltk_data.main(["--prefix", str(tmp_path)])
    assert (tmp_path / "nltk_data" / "tokenizers" / "punkt").is_dir()
    assert capsys.readouterr().out == f"nltk_data: {tmp_path}/nltk_data/tokenizers/punkt\n"


def test_readme_lists_every_patch_with_its_versions_and_tests():
    text = COMPAT_README.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (B\d+) \| `(\w+)` \| (.+) \|$", text, re.MULTILINE)
    listed = {module: versions for _, module, versions in rows}
    patch_modules = [module.__name__.split(".")[-1] for module in compat._PATCHES]
    assert sorted(listed) == sorted(patch_modules + ["nltk_data"])
    for name, versions in listed.items():
        module = importlib.import_module(f"allennlp_multilang_elmo.compat.{name}")
        assert versions == ", ".join(f"{d} {s}" for d, s in module.VERSIONS.items()), name
        # The module's docstring starts with its number, as in the list.
        (number,) = [b for b, listed_name, _ in rows if listed_name == name]
        assert module.__doc__.strip().startswith(f"{number}:"), name
        assert f"## {number} `{name}`:" in text
    tests = re.findall(r"`(tests/compat/\w+\.py)::([\w:]+)`", text)
    assert len(tests) >= len(listed)
    for path, name in tests:
        spec = importlib.util.spec_from_file_location("listed_test", REPO_ROOT / path)
        test_module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(test_module)
        target = test_module
        for part in name.split("::"):
            target = getattr(target, part)
        assert callable(target), f"{path}::{name}"
