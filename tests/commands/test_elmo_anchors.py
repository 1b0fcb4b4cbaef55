import json
import os

import pytest
from helpers.cli import run_cli
from helpers.demo_training import REPO_ROOT

from allennlp_multilang_elmo.alignment.word_vectors import read_word_vectors
from allennlp_multilang_elmo.modules.tiny_elmo import write_elmo_model

FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "ud_multilang")


def test_listed_in_allennlp_help(monkeypatch, capsys):
    with pytest.raises(SystemExit):
        run_cli(monkeypatch, "--help")
    assert "elmo-anchors" in capsys.readouterr().out


def test_anchors_of_conllu_and_text_by_glob(tmp_path, monkeypatch, capsys):
    options, weights = write_elmo_model(str(tmp_path / "elmo"), seed=1)
    text = tmp_path / "extra.txt"
    text.write_text("the extra line .\n", encoding="utf-8")
    out = tmp_path / "anchors"
    run_cli(
        monkeypatch,
        "elmo-anchors",
        options,
        weights,
        os.path.join(FIXTURES, "en_*-train.conllu"),
        str(text),
        "--tokenized",
        "--output-dir",
        str(out),
        "--layers",
        "1",
        "2",
        "--min-count",
        "2",
        "--batch-size",
        "3",
    )
    printed = capsys.readouterr().out.splitlines()
    summary = json.loads((out / "anchors.json").read_text(encoding="utf-8"))
    assert printed[0] == (
        f"{summary['num_sentences']} sentences, {summary['num_tokens']} tokens, "
        f"{len(summary['counts'])} word types with anchors in {out}"
    )
    assert printed[1].startswith("mean token norms: layer 1 ")
    assert summary["input_files"] == [os.path.join(FIXTURES, "en_pud-ud-train.conllu"), str(text)]
    assert summary["num_sentences"] == 6 + 1 and summary["layers"] == [1, 2]
    assert min(summary["counts"].values()) == 2 and summary["counts"]["the"] >= 2
    layer_2 = read_word_vectors(str(out / "anchors_layer2.vec"))
    assert layer_2.words == list(summary["counts"]) and layer_2.vectors.shape[1] == 16
    assert sorted(os.listdir(out)) == ["anchors.json", "anchors_layer1.vec", "anchors_layer2.vec"]


def test_errors_name_the_file(tmp_path, monkeypatch):
    options, weights = write_elmo_model(str(tmp_path / "elmo"), seed=1)
    with pytest.raises(ValueError, match=r"the corpus '.*missing\*.txt' matches no file"):
        run_cli(
            monkeypatch,
            "elmo-anchors",
            options,
            weights,
            str(tmp_path / "missing*.txt"),
            "--output-dir",
            str(tmp_path / "out"),
        )
    assert not (tmp_path / "out").exists()
