"""
The seven biLMs of data/elmo-libreoffice/ (scripts/train_elmo_libreoffice.sh and
align_elmo_libreoffice.sh): one geometry, each read by AllenNLP's own `Elmo`, every language but
English with an orthogonal per-layer alignment onto English (from the parallel help) and the
reports behind it.
"""

import json
from pathlib import Path

import pytest
import torch
from allennlp.modules.elmo import Elmo, batch_to_ids

from allennlp_multilang_elmo.common.file_hash import file_hash
from allennlp_multilang_elmo.modules.alignment_matrix import load_alignment_matrix

ELMO = Path(__file__).resolve().parents[2] / "data" / "elmo-libreoffice"
LANGUAGES = ["en", "de", "es", "fr", "it", "pt", "sv"]
SENTENCE = {
    "en": "Click the OK button .",
    "de": "Klicken Sie auf OK .",
    "es": "Haga clic en Aceptar .",
    "fr": "Cliquez sur OK .",
    "it": "Fare clic su OK .",
    "pt": "Clique em OK .",
    "sv": "Klicka på OK .",
}


def test_every_language_is_shipped_in_one_geometry():
    assert sorted(path.name for path in ELMO.iterdir() if path.is_dir()) == sorted(LANGUAGES)
    options = {lang: json.loads((ELMO / lang / "options.json").read_text()) for lang in LANGUAGES}
    assert all(options[lang] == options["en"] for lang in LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_allennlp_elmo_reads_the_biLM_and_the_alignment_is_orthogonal(lang):
    elmo = Elmo(str(ELMO / lang / "options.json"), str(ELMO / lang / "weights.hdf5"), 1, dropout=0)
    with torch.no_grad():
        output = elmo(batch_to_ids([SENTENCE[lang].split()]))["elmo_representations"][0]
    assert output.shape == (1, len(SENTENCE[lang].split()), 128)
    assert torch.isfinite(output).all()
    training = json.loads((ELMO / lang / "training.json").read_text())
    assert training["language"] == lang and training["epochs"] == 5
    if lang == "en":  # the shared space
        assert not (ELMO / lang / "align.pth").exists()
        return
    matrix = load_alignment_matrix(str(ELMO / lang / "align.pth"), 128, lang, num_layers=3)
    identity = torch.eye(128).expand(3, 128, 128)
    assert torch.allclose(matrix @ matrix.transpose(1, 2), identity, atol=1e-4)
    report = json.loads((ELMO / lang / "align.json").read_text())
    assert sorted(report["layers"]) == ["0", "1", "2"]
    # Learned from the parallel help with the biLMs shipped beside it.
    assert report["source_weights_sha256"] == file_hash(str(ELMO / lang / "weights.hdf5"))
    assert report["target_weights_sha256"] == file_hash(str(ELMO / "en" / "weights.hdf5"))
    assert report["word_alignment"]["source"] == "eflomal"
    assert (ELMO / lang / f"dictionary.{lang}-en.txt").is_file()
