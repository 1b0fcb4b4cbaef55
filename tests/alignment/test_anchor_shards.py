"""
Sharded anchors: N processes each read every N-th sentence and write partial sums; their merge is
the single-process result (same words, order and counts, vectors within 1e-6).
"""

import json
import os

import pytest
from helpers.cli import run_cli

from allennlp_multilang_elmo.alignment.anchors import (
    anchors_vec_name,
    elmo_anchors,
    merge_anchor_shards,
)
from allennlp_multilang_elmo.alignment.word_vectors import read_word_vectors
from allennlp_multilang_elmo.modules.tiny_elmo import write_elmo_model

TEXT = [
    "el gato duerme",
    "la casa es grande",
    "el perro come en la casa",
    "un gato y un perro",
    "la casa del gato",
    "el sol sale",
    "duerme el perro",
]


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    corpus = root / "corpus.txt"
    corpus.write_text("\n".join(TEXT) + "\n", encoding="utf-8")
    model = write_elmo_model(str(root / "elmo"), seed=3)
    single = root / "single"
    elmo_anchors(*model, [str(corpus)], str(single), deterministic=True)
    return model, str(corpus), single, root


def assert_same_anchors(merged, single):
    summary = json.loads((merged / "anchors.json").read_text())
    expected = json.loads((single / "anchors.json").read_text())
    assert list(summary["counts"].items()) == list(expected["counts"].items())
    assert summary["num_sentences"] == expected["num_sentences"] == len(TEXT)
    # Sentences batched otherwise: the same up to float32 rounding.
    assert summary["mean_norms"] == pytest.approx(expected["mean_norms"], rel=1e-6)
    for layer in expected["layers"]:
        ours = read_word_vectors(str(merged / anchors_vec_name(layer)))
        theirs = read_word_vectors(str(single / anchors_vec_name(layer)))
        assert ours.words == theirs.words
        assert abs(ours.vectors - theirs.vectors).max() <= 1e-6


@pytest.mark.parametrize("count", [2, 3])
def test_merged_shards_equal_one_process(setting, tmp_path, count):
    model, corpus, single, _ = setting
    shards = [str(tmp_path / f"shard{i}") for i in range(1, count + 1)]
    for index, folder in enumerate(shards, 1):
        elmo_anchors(*model, [corpus], folder, shard=(index, count), deterministic=True)
    merge_anchor_shards(shards[::-1], str(tmp_path / "merged"))
    assert_same_anchors(tmp_path / "merged", single)


def test_command_line(setting, tmp_path, monkeypatch, capsys):
    model, corpus, single, _ = setting
    for index in (1, 2):
        run_cli(
            monkeypatch,
            "elmo-anchors",
            *model,
            corpus,
            "--tokenized",
            "--output-dir",
            str(tmp_path / f"s{index}"),
            "--deterministic",
            "--shard",
            f"{index}/2",
        )
    run_cli(
        monkeypatch,
        "elmo-anchors",
        "--merge",
        str(tmp_path / "s1"),
        str(tmp_path / "s2"),
        "--output-dir",
        str(tmp_path / "merged"),
    )
    assert "merged 2 shards" in capsys.readouterr().out
    assert_same_anchors(tmp_path / "merged", single)


def test_missing_foreign_or_damaged_shards_are_refused(setting, tmp_path):
    model, corpus, _, root = setting
    shards = [str(tmp_path / f"s{i}") for i in (1, 2, 3)]
    for index, folder in enumerate(shards, 1):
        elmo_anchors(*model, [corpus], folder, shard=(index, 3), deterministic=True)
    out = str(tmp_path / "merged")
    with pytest.raises(ValueError, match=r"shards 1 to 3 once each; missing: \[2\]"):
        merge_anchor_shards([shards[0], shards[2]], out)
    with pytest.raises(ValueError, match=r"missing: \[3\]; given twice: \[1\]"):
        merge_anchor_shards([shards[0], shards[0], shards[1]], out)
    other = write_elmo_model(str(root / "other"), seed=4)
    elmo_anchors(*other, [corpus], str(tmp_path / "other"), shard=(2, 3), deterministic=True)
    with pytest.raises(ValueError, match=r"differ in weight_file_sha256"):
        merge_anchor_shards([shards[0], str(tmp_path / "other"), shards[2]], out)
    with open(os.path.join(shards[1], "counts.npy"), "r+b") as f:
        f.seek(-1, os.SEEK_END)
        f.write(b"\x7f")
    with pytest.raises(ValueError, match=r"counts.npy is missing or not the file its shard wrote"):
        merge_anchor_shards(shards, out)
    with pytest.raises(ValueError, match=r"is not an elmo-anchors --shard output"):
        merge_anchor_shards([str(tmp_path)], out)
    assert not os.path.exists(out)
    with pytest.raises(ValueError, match=r"--shard 4/3"):
        elmo_anchors(*model, [corpus], str(tmp_path / "x"), shard=(4, 3), deterministic=True)
    with pytest.raises(ValueError, match=r"--shard needs --deterministic"):
        elmo_anchors(*model, [corpus], str(tmp_path / "x"), shard=(1, 3))
