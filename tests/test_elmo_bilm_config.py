"""
training_configs/elmo_bilm.jsonnet, the biLM config for any language: it trains on plain text,
streams the corpus, and trains in two processes (AllenNLP's distributed setting, gloo on CPU).
"""

import json
import math
import subprocess

import pytest
import torch
from allennlp.commands.train import train_model
from allennlp.common import Params
from allennlp.models.archival import load_archive
from allennlp.modules.elmo import Elmo
from helpers.demo_training import ALLENNLP, BILM_TEXT, OFFLINE, REPO_ROOT, bilm_config

from allennlp_multilang_elmo.commands.elmo_export import export_elmo_archive

pytestmark = pytest.mark.end_to_end


def test_trains_on_plain_text_and_exports_a_bilm_that_allennlp_reads(tmp_path):
    train_model(Params(bilm_config(BILM_TEXT, BILM_TEXT)), str(tmp_path / "run"))
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert 1 < metrics["validation_perplexity"] < math.inf
    files = export_elmo_archive(str(tmp_path / "run" / "model.tar.gz"), str(tmp_path / "fr"))
    elmo = Elmo(files["options_file"], files["weight_file"], 1, dropout=0.0)
    characters = torch.randint(1, 262, (2, 5, 50))
    assert elmo(characters)["elmo_representations"][0].shape == (2, 5, 16)


def test_two_processes_train_and_count_every_processs_words(tmp_path):
    # 160 lines: 10 rounds of 16 streams (8 in each process), none left out.
    config = bilm_config(BILM_TEXT, BILM_TEXT, {"distributed": {"cuda_devices": [-1, -1]}})
    (tmp_path / "config.json").write_text(json.dumps(config))
    run = tmp_path / "run"
    result = subprocess.run(
        [ALLENNLP, "train", str(tmp_path / "config.json"), "-s", str(run)],
        cwd=REPO_ROOT,
        env={**OFFLINE, "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    metrics = json.loads((run / "metrics.json").read_text())
    assert "peak_worker_1_memory_MB" in metrics  # two processes trained
    distributed = metrics["validation_perplexity"]

    # The archive loads; one process reading the same 16 streams in batches of 16 gets the
    # validation perplexity of both processes together, not of one.
    archive = load_archive(str(run / "model.tar.gz"))
    assert archive.config["distributed"]["cuda_devices"] == [-1, -1]
    evaluated = subprocess.run(
        [ALLENNLP, "evaluate", str(run / "model.tar.gz"), BILM_TEXT]
        + ["--output-file", str(tmp_path / "evaluation.json")]
        + ["-o", json.dumps({"dataset_reader.num_streams": 16, "data_loader.batch_size": 16})],
        cwd=REPO_ROOT,
        env=OFFLINE,
        capture_output=True,
        text=True,
    )
    assert evaluated.returncode == 0, evaluated.stderr[-5000:]
    one_process = json.loads((tmp_path / "evaluation.json").read_text())["perplexity"]
    assert one_process == pytest.approx(distributed, rel=1e-4)
