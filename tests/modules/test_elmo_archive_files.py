"""
A trained archive carries its ELMo files once and loads anywhere; checkpoints hold no frozen biLM
weights.
"""

import os
import shutil
import subprocess

import conllu
import pytest
import torch
from helpers.demo_training import ALLENNLP, OFFLINE, REPO_ROOT

pytestmark = pytest.mark.end_to_end


def test_archive_loads_from_another_folder_without_the_original_files(tiny_demo_run, tmp_path):
    serialization_dir = tiny_demo_run
    # Checkpoints: the parser's parameters, ScalarMix and alignment buffers, no biLM weight.
    best = torch.load(serialization_dir / "best.th", map_location="cpu", weights_only=True)
    assert best and not any("_bilm." in name for name in best)
    assert any(name.endswith("_elmos.de.alignment") for name in best)
    copies = sorted(p.name for p in (serialization_dir / "elmo_files" / "de").iterdir())
    assert copies == ["alignment", "options.json", "weights.hdf5"]

    # Another folder on "another machine": the archive alone, the ELMo files gone.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(serialization_dir / "model.tar.gz", elsewhere)
    originals = serialization_dir.parent / "elmo"
    originals.rename(tmp_path / "hidden-elmo")
    try:
        check_parse_from(elsewhere)
    finally:
        (tmp_path / "hidden-elmo").rename(originals)


def check_parse_from(elsewhere):
    # `allennlp parse` of a CoNLL-U file and of raw text, from that folder.
    shutil.copy(
        os.path.join(REPO_ROOT, "tests", "fixtures", "ud_multilang", "es_pud-ud-dev.conllu"),
        elsewhere / "es_test.conllu",
    )
    (elsewhere / "raw.txt").write_text("El gato duerme .\n")
    for inputs, extra in [("es_test.conllu", []), ("raw.txt", ["--input-format", "text"])]:
        result = subprocess.run(
            [
                ALLENNLP,
                "parse",
                "model.tar.gz",
                inputs,
                "--lang",
                "es",
                "--output-file",
                f"{inputs}.parsed.conllu",
                *extra,
            ],
            cwd=elsewhere,
            env=OFFLINE,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        with open(elsewhere / f"{inputs}.parsed.conllu", encoding="utf-8") as f:
            sentences = conllu.parse(f.read())
        assert sentences and all(token["head"] is not None for s in sentences for token in s)
