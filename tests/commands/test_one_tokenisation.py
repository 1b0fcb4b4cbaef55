"""
Raw text given to the biLM reader, `elmo-anchors` and `elmo-embed` is split into the same words
(the `language_rules` tokenizer), so anchors and embeddings are of the biLM's own word types.
"""

import json

import h5py
import pytest
from allennlp.common.checks import ConfigurationError
from helpers.cli import run_cli

from allennlp_multilang_elmo.data.dataset_readers.bilm_text import BilmTextDatasetReader
from allennlp_multilang_elmo.modules.tiny_elmo import write_elmo_model

RAW_FRENCH = [
    "Ouvrez l'imprimante, puis cliquez sur OK.",
    "L'imprimante n'imprime pas : vérifiez l'encre.",
]


@pytest.fixture
def french(tmp_path):
    path = tmp_path / "fr.txt"
    path.write_text("\n".join(RAW_FRENCH) + "\n", encoding="utf-8")
    return path


def test_reader_anchors_and_embed_split_raw_text_alike(french, tmp_path, monkeypatch):
    reader_words = BilmTextDatasetReader(language="fr").read_sentences(str(french))
    assert reader_words[0][:3] == ["Ouvrez", "l'", "imprimante"]
    options, weights = write_elmo_model(str(tmp_path / "elmo"), seed=1)

    run_cli(
        monkeypatch,
        "elmo-anchors",
        options,
        weights,
        str(french),
        "--language",
        "fr",
        "--output-dir",
        str(tmp_path / "anchors"),
    )
    summary = json.loads((tmp_path / "anchors" / "anchors.json").read_text(encoding="utf-8"))
    expected_counts = {}
    for sentence in reader_words:
        for word in sentence:
            expected_counts[word] = expected_counts.get(word, 0) + 1
    assert summary["counts"] == expected_counts
    assert summary["tokenization"] == "rules of 'fr'"

    run_cli(
        monkeypatch,
        "elmo-embed",
        options,
        weights,
        str(french),
        str(tmp_path / "fr.hdf5"),
        "--language",
        "fr",
        "--top",
    )
    with h5py.File(tmp_path / "fr.hdf5", "r") as f:
        assert [f[str(i)].shape[0] for i in range(2)] == [len(s) for s in reader_words]


def test_plain_text_without_a_tokenisation_is_refused(french, tmp_path, monkeypatch):
    options, weights = write_elmo_model(str(tmp_path / "elmo"), seed=1)
    for command in (
        ["elmo-anchors", options, weights, str(french), "--output-dir", str(tmp_path / "a")],
        ["elmo-embed", options, weights, str(french), str(tmp_path / "e.hdf5")],
    ):
        with pytest.raises(ConfigurationError, match="--language LANG .* or --tokenized"):
            run_cli(monkeypatch, *command)
    assert not (tmp_path / "a").exists() and not (tmp_path / "e.hdf5").exists()


def test_tokenized_text_keeps_its_tokens(french, tmp_path, monkeypatch):
    options, weights = write_elmo_model(str(tmp_path / "elmo"), seed=1)
    run_cli(
        monkeypatch,
        "elmo-anchors",
        options,
        weights,
        str(french),
        "--tokenized",
        "--output-dir",
        str(tmp_path / "anchors"),
    )
    summary = json.loads((tmp_path / "anchors" / "anchors.json").read_text(encoding="utf-8"))
    assert "l'imprimante," in summary["counts"] and summary["tokenization"] == "whitespace"
