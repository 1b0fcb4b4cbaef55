"""
A trained archive carries its ELMo files once and loads anywhere; checkpoints hold no frozen biLM
weights.
"""

import json
import shutil
import subprocess

import torch

from allennlp_multilang_elmo.testing.demo_config import ALLENNLP, OFFLINE, train_demo


def test_archive_loads_from_another_folder_without_the_original_files(tmp_path):
    serialization_dir = train_demo(tmp_path / "run", {"trainer": {"num_epochs": 1}})
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
    shutil.rmtree(tmp_path / "run" / "elmo")
    (elsewhere / "in.jsonl").write_text(
        json.dumps({"lang": "es", "words": ["El", "gato", "duerme", "."]}) + "\n"
    )
    result = subprocess.run(
        [
            ALLENNLP,
            "predict",
            "model.tar.gz",
            "in.jsonl",
            "--include-package",
            "allennlp_multilang_elmo",
            "--silent",
            "--output-file",
            "out.jsonl",
        ],
        cwd=elsewhere,
        env=OFFLINE,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    prediction = json.loads((elsewhere / "out.jsonl").read_text())
    assert len(prediction["predicted_heads"]) == 4
