import os

import pytest
from allennlp.commands.train import train_model
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.modules.elmo import _ElmoBiLm, batch_to_ids
from helpers.cli import run_cli
from helpers.demo_training import REPO_ROOT

from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options

CORPUS = os.path.join(REPO_ROOT, "tests", "fixtures", "bilm", "bible_en_es.tsv")


def test_listed_in_allennlp_help(monkeypatch, capsys):
    with pytest.raises(SystemExit):
        run_cli(monkeypatch, "--help")
    assert "elmo-export" in capsys.readouterr().out


def test_exports_a_trained_archive_that_allennlp_reads(tmp_path, monkeypatch, capsys):
    params = Params(
        {
            "dataset_reader": {
                "type": "bilm_text",
                "num_streams": 8,
                "column": 2,
                "language": "es",
            },
            "train_data_path": CORPUS,
            "model": {
                "type": "elmo_bilm_language_model",
                "options": elmo_options(),
                "num_samples": None,
            },
            "data_loader": {"batch_size": 8, "shuffle": False},
            "trainer": {"num_epochs": 1, "optimizer": "adam", "cuda_device": -1},
        }
    )
    train_model(params, str(tmp_path / "run"))
    capsys.readouterr()
    output = tmp_path / "es"
    run_cli(monkeypatch, "elmo-export", str(tmp_path / "run" / "model.tar.gz"), str(output))
    printed = capsys.readouterr().out.splitlines()
    assert f"wrote {output / 'options.json'} and {output / 'weights.hdf5'}" in printed
    assert sorted(os.listdir(output)) == ["options.json", "weights.hdf5"]
    bilm = _ElmoBiLm(str(output / "options.json"), str(output / "weights.hdf5"))
    assert len(bilm(batch_to_ids([["Y", "dijo", "Dios"]]))["activations"]) == 3
    with pytest.raises(ConfigurationError, match="already exists"):
        run_cli(monkeypatch, "elmo-export", str(tmp_path / "run" / "model.tar.gz"), str(output))
    # A biLM archive is no parser: `parse` says so instead of failing inside the model.
    text = tmp_path / "es.txt"
    text.write_text("Y dijo Dios\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="'elmo_bilm_language_model' model, not a"):
        run_cli(
            monkeypatch,
            "parse",
            str(tmp_path / "run" / "model.tar.gz"),
            str(text),
            "--lang",
            "es",
            "--input-format",
            "text",
            "--output-file",
            str(tmp_path / "out.conllu"),
        )
    assert not (tmp_path / "out.conllu").exists()
