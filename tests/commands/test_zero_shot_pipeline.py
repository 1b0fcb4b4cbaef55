"""
The README's main job at test scale: `allennlp train` of the shipped demo config (smaller), then
`evaluate`, `predict` and `attachment-table` on a language the parser never trained on.
"""

import json
import os
import shutil

import pytest
from allennlp.common.checks import ConfigurationError
from helpers.cli import run_cli
from helpers.demo_training import FIXTURES

from allennlp_multilang_elmo.commands.attachment_table import attachment_table, language_scores

pytestmark = pytest.mark.end_to_end


@pytest.fixture
def trained(tiny_demo_run):
    """A parser trained on en, de and fr, reading with data loader workers."""
    return tiny_demo_run


def test_write_tiny_elmo_never_overwrites_without_force(tmp_path, monkeypatch):
    run_cli(monkeypatch, "write-tiny-elmo", str(tmp_path), "--languages", "en", "de")
    weights = tmp_path / "de" / "weights.hdf5"
    before = weights.read_bytes()
    with pytest.raises(ConfigurationError, match=r"en/options.json already exists; pass --force"):
        run_cli(
            monkeypatch, "write-tiny-elmo", str(tmp_path), "--languages", "en", "de", "--seed", "7"
        )
    assert weights.read_bytes() == before
    run_cli(
        monkeypatch,
        "write-tiny-elmo",
        str(tmp_path),
        "--languages",
        "en",
        "de",
        "--seed",
        "7",
        "--force",
    )
    assert weights.read_bytes() != before


def test_training_reports_per_language_scores(trained):
    metrics = json.loads((trained / "metrics.json").read_text())
    for lang in ["en", "de", "fr", "es", "it"]:
        assert (
            0.0
            <= metrics[f"best_validation_LAS_{lang}"]
            <= metrics[f"best_validation_UAS_{lang}"]
            <= 1.0
        )
    # Model selection averages the training languages only.
    expected = sum(metrics[f"best_validation_LAS_{lang}"] for lang in ["en", "de", "fr"]) / 3
    assert metrics["best_validation_LAS_AVG"] == pytest.approx(expected)


def test_zero_shot_evaluation_and_table(trained, tmp_path, monkeypatch, capsys):
    output = tmp_path / "test_metrics.json"
    # attachment-table reads the training languages from the run's config beside the metrics.
    shutil.copy(trained / "config.json", tmp_path)
    run_cli(
        monkeypatch,
        "evaluate",
        str(trained / "model.tar.gz"),
        os.path.join(FIXTURES, "[ei][st]_pud-ud-dev.conllu"),
        "--output-file",
        str(output),
    )
    metrics = json.loads(output.read_text())
    assert {"UAS_es", "LAS_es", "UAS_it", "LAS_it"} <= set(metrics)
    assert "UAS_en" not in metrics
    capsys.readouterr()
    # The training languages come from the run folder's config: es and it are zero-shot.
    run_cli(monkeypatch, "attachment-table", str(output))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(
        f"evaluation scores of {output}; zero-shot from trained on de, en, fr"
    )
    _, scores = language_scores(metrics)
    assert lines[1:-1] == attachment_table(scores, ["es", "it"]).splitlines()
    assert lines[-2].split()[:2] == ["mean", "zero-shot"]
    assert lines[-3].split()[:3] == ["it", "zero-shot", f"{100 * metrics['UAS_it']:.1f}"]


def test_predict_on_a_language_never_trained_on(trained, tmp_path, monkeypatch):
    inputs = tmp_path / "inputs.jsonl"
    inputs.write_text(
        "\n".join(
            json.dumps(line)
            for line in [
                {
                    "lang": "es",
                    "words": ["El", "gato", "duerme", "."],
                    "pos": ["DET", "NOUN", "VERB", "PUNCT"],
                },
                {"lang": "it", "sentence": "Il gatto dorme sul divano."},
            ]
        )
    )
    predictions = tmp_path / "predictions.jsonl"
    run_cli(
        monkeypatch,
        "predict",
        str(trained / "model.tar.gz"),
        str(inputs),
        "--output-file",
        str(predictions),
        "--silent",
    )
    spanish, italian = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert spanish["lang"] == "es" and spanish["words"] == ["El", "gato", "duerme", "."]
    assert len(spanish["predicted_heads"]) == 4 and len(spanish["predicted_dependencies"]) == 4
    # A tree: exactly one word attaches to the root (MST decoding), heads point inside the sentence.
    assert spanish["predicted_heads"].count(0) == 1
    assert all(0 <= head <= 4 for head in spanish["predicted_heads"])
    assert spanish["hierplane_tree"]["root"]["word"] in spanish["words"]
    # A raw sentence is split by spaCy's Italian rules, without a model download.
    assert italian["lang"] == "it"
    assert italian["words"] == ["Il", "gatto", "dorme", "sul", "divano", "."]
    # Without tags, the parser gets the tagger's (the demo config trains one).
    assert italian["pos"] == italian["predicted_pos"] and "_" not in italian["pos"]


def test_predict_names_a_malformed_input_line(trained, tmp_path, monkeypatch):
    inputs = tmp_path / "inputs.jsonl"
    inputs.write_text('{"lang": "es", "words": ["Hola"]}\n{"lang": "es", "words": "Hola amigo"}\n')
    with pytest.raises(
        ConfigurationError, match=r"^input line 2: 'words' must be a list of strings"
    ):
        run_cli(
            monkeypatch,
            "predict",
            str(trained / "model.tar.gz"),
            str(inputs),
            "--output-file",
            str(tmp_path / "out.jsonl"),
            "--silent",
        )


def test_predict_with_the_dataset_reader(trained, tmp_path, monkeypatch):
    predictions = tmp_path / "reader_predictions.jsonl"
    run_cli(
        monkeypatch,
        "predict",
        str(trained / "model.tar.gz"),
        os.path.join(FIXTURES, "es_pud-ud-dev.conllu"),
        "--use-dataset-reader",
        "--output-file",
        str(predictions),
        "--silent",
    )
    lines = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert len(lines) == 4 and {line["lang"] for line in lines} == {"es"}
