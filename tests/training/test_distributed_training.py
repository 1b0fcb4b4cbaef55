"""
The parser trained by two processes (AllenNLP's `distributed` setting, gloo on CPU), reading its
balanced stream lazily in chunks: the archive loads, and the validation and test metrics are those
of the whole data, not of one process's share.
"""

import json
import os
import subprocess

import pytest
from helpers.demo_training import (
    ALLENNLP,
    DEMO_LANGUAGES,
    FIXTURES,
    OFFLINE,
    REPO_ROOT,
    demo_config,
)

from allennlp_multilang_elmo.modules.tiny_elmo import write_multilang_elmo

pytestmark = pytest.mark.end_to_end


def run(*args: str) -> None:
    result = subprocess.run(
        [ALLENNLP, *args], cwd=REPO_ROOT, env=OFFLINE, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-5000:]


def test_two_processes_train_a_parser_whose_validation_and_test_are_the_whole_data(tmp_path):
    files = write_multilang_elmo(str(tmp_path / "elmo"), DEMO_LANGUAGES)
    validation = os.path.join(FIXTURES, "*_pud-ud-dev.conllu")
    config = demo_config(
        files,
        os.path.join(FIXTURES, "*_pud-ud-train.conllu"),
        validation,
        {
            "dataset_reader": {"instances_per_language": 8},
            "data_loader": {"max_instances_in_memory": 24, "batch_sampler": {"batch_size": 4}},
            "trainer": {"num_epochs": 1},
            "distributed": {"cuda_devices": [-1, -1]},
            # The first process evaluates the test data after training, by itself (B19).
            "test_data_path": validation,
            "evaluate_on_test": True,
        },
    )
    (tmp_path / "config.json").write_text(json.dumps(config))
    run("train", str(tmp_path / "config.json"), "-s", str(tmp_path / "run"))
    trained = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert {"peak_worker_0_memory_MB", "peak_worker_1_memory_MB"} <= set(trained)
    # Model selection averages the training languages only.
    expected = sum(trained[f"validation_UAS_{lang}"] for lang in ["en", "de", "fr"]) / 3
    assert trained["validation_UAS_AVG"] == pytest.approx(expected)

    run(
        "evaluate",
        str(tmp_path / "run" / "model.tar.gz"),
        validation,
        "--output-file",
        str(tmp_path / "evaluation.json"),
    )
    evaluated = json.loads((tmp_path / "evaluation.json").read_text())
    scores = [name for name in evaluated if name.startswith(("UAS", "LAS", "conll18_", "UPOS"))]
    assert {"UAS_es", "LAS_it", "conll18_LAS_de"} <= set(scores)
    # Counts summed over both processes give exactly the one-process scores (the loss, a mean
    # over batches, is left out: the batches differ).
    for split in ["validation", "test"]:
        assert {name: trained[f"{split}_{name}"] for name in scores} == pytest.approx(
            {name: evaluated[name] for name in scores}, abs=1e-9
        ), split
