import json
import logging
import sys
import tarfile

import pytest
from allennlp.commands import main
from allennlp.common.checks import ConfigurationError

from allennlp_multilang_elmo.commands.attachment_table import (
    attachment_table,
    language_scores,
    training_languages,
)

CONFIG = {
    "dataset_reader": {"languages": ["en", "de"]},
    "model": {"langs_for_early_stop": ["en", "de"]},
}
TRAIN_METRICS = {
    "best_epoch": 3,
    "validation_UAS_en": 0.1,
    "validation_LAS_en": 0.1,
    "best_validation_UAS_en": 0.5,
    "best_validation_LAS_en": 0.4,
    "best_validation_UPOS_en": 0.9,
    "best_validation_UAS_de": 0.6,
    "best_validation_LAS_de": 0.5,
    "best_validation_UPOS_de": 0.8,
    "best_validation_UAS_es": 0.3,
    "best_validation_LAS_es": 0.2,
    "best_validation_UPOS_es": 0.4,
    "best_validation_UAS_AVG": 0.55,
    "training_UAS_en": 0.99,
}


def run_cli(monkeypatch, capsys, *args: str) -> str:
    monkeypatch.setattr(sys, "argv", ["allennlp", "attachment-table", *args])
    capsys.readouterr()
    main(prog="allennlp")
    return capsys.readouterr().out


@pytest.fixture
def run_folder(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    (tmp_path / "metrics.json").write_text(json.dumps(TRAIN_METRICS))
    return tmp_path


def test_one_split_never_mixed():
    split, scores = language_scores(TRAIN_METRICS)
    # No test_ scores: best_validation wins over validation; the training_ keys are ignored.
    assert split == "best_validation"
    assert scores["en"] == {"UAS": 0.5, "LAS": 0.4, "UPOS": 0.9}
    split, scores = language_scores(TRAIN_METRICS, "validation")
    assert (split, scores) == ("validation", {"en": {"UAS": 0.1, "LAS": 0.1}})
    assert language_scores({"UAS_es": 0.3, "LAS_es": 0.2, "test_UAS_es": 0.9}).split == "evaluation"
    with pytest.raises(
        ConfigurationError, match="has no test scores; it has best_validation, validation"
    ):
        language_scores(TRAIN_METRICS, "test")


def test_table_marks_zero_shot_and_labels_means():
    _, scores = language_scores(TRAIN_METRICS)
    lines = attachment_table(scores, ["es"]).splitlines()
    assert lines[0].split() == ["language", "setting", "UAS", "LAS", "UPOS"]
    assert lines[1].split() == ["de", "trained", "60.0", "50.0", "80.0"]
    assert lines[3].split() == ["mean", "sources", "55.0", "45.0", "85.0"]
    assert lines[4].split() == ["es", "zero-shot", "30.0", "20.0", "40.0"]
    assert len(lines) == 5  # one zero-shot language: no mean of one


def test_training_languages_from_run_folder_and_archive(run_folder, tmp_path):
    assert training_languages(str(run_folder)) == ["de", "en"]
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(run_folder / "config.json", arcname="config.json")
    assert training_languages(str(archive)) == ["de", "en"]
    with pytest.raises(ConfigurationError, match=r"metrics.json: cannot read the training config"):
        training_languages(str(run_folder / "metrics.json"))


def test_cli_reads_the_languages_beside_the_metrics(run_folder, monkeypatch, capsys):
    out = run_cli(monkeypatch, capsys, str(run_folder / "metrics.json"))
    lines = out.splitlines()
    assert lines[0].startswith(
        f"best_validation scores of {run_folder / 'metrics.json'}; zero-shot from trained on de, en"
    )
    assert lines[-2].split()[:2] == ["es", "zero-shot"]
    assert "sources: the training languages" in lines[-1]


def test_cli_with_an_archive_and_unknown_zero_shot_language(
    run_folder, tmp_path, monkeypatch, capsys, caplog
):
    evaluation = tmp_path / "elsewhere.json"
    evaluation.write_text(json.dumps({"UAS_es": 0.3, "LAS_es": 0.2, "UAS_en": 0.5, "LAS_en": 0.4}))
    out = run_cli(monkeypatch, capsys, str(evaluation), "--run", str(run_folder))
    assert out.splitlines()[0].startswith("evaluation scores of")
    assert out.splitlines()[-2].split()[:2] == ["es", "zero-shot"]
    with caplog.at_level(logging.WARNING):
        run_cli(monkeypatch, capsys, str(evaluation), "--zero-shot", "es", "itt")
    assert any(
        "--zero-shot languages without scores" in r.message and "itt" in r.message
        for r in caplog.records
    )


@pytest.mark.parametrize(
    "content, message",
    [
        (None, r"missing.json: no such metrics file"),
        ('{"UAS_es": 0.3, "LAS_', r"not a complete JSON metrics file .*cut short"),
        ("[1, 2]", r"holds a JSON object, not list"),
        ('{"loss": 0.3}', r"has no UAS_<lang> / LAS_<lang> entries"),
    ],
)
def test_bad_metrics_files(tmp_path, monkeypatch, capsys, content, message):
    path = tmp_path / "missing.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigurationError, match=message):
        run_cli(monkeypatch, capsys, str(path), "--zero-shot", "es")


def test_metrics_without_a_config_ask_for_one(tmp_path, monkeypatch, capsys):
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"UAS_es": 0.3, "LAS_es": 0.2}))
    with pytest.raises(ConfigurationError, match=r"no config.json beside it.*--run"):
        run_cli(monkeypatch, capsys, str(path))
