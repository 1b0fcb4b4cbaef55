"""
The paper's configuration trains, for a few batches, on tiny models written in the authors'
released file layout (`options262.json`, `<lang>_weights.hdf5`, `<lang>_best_mapping.pth`) and read
through `file://` URLs, offline. The models keep the released output dimension (1024) that the
config's encoder expects, with tiny character CNNs and LSTM cells.
"""

import json
import os
import shutil

import pytest
from allennlp.commands.train import train_model
from allennlp.common import Params
from helpers.demo_training import REPO_ROOT

from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options, write_multilang_elmo

pytestmark = pytest.mark.end_to_end

PAPER_CONFIG = os.path.join(REPO_ROOT, "training_configs", "multilang_dependency_parser.jsonnet")
FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "ud_multilang")
SOURCES = ["en", "de", "fr", "it", "pt", "sv"]
LANGUAGES = SOURCES + ["es"]
# The fixtures have no Portuguese or Swedish: stand-ins with the right file names.
TREEBANK_OF = {"pt": "es", "sv": "it"}
INSTANCES_PER_LANGUAGE = 5


def write_treebanks(directory) -> None:
    os.makedirs(directory)
    for lang in LANGUAGES:
        for split in ("train", "dev"):
            source = os.path.join(FIXTURES, f"{TREEBANK_OF.get(lang, lang)}_pud-ud-{split}.conllu")
            shutil.copy(source, os.path.join(directory, f"{lang}_pud-ud-{split}.conllu"))


def test_paper_config_trains_on_the_released_layout_from_file_urls(tmp_path, monkeypatch):
    models, treebanks = tmp_path / "released", tmp_path / "treebanks"
    options = elmo_options(projection_dim=512, cell_dim=16)  # 1024-dimensional output
    write_multilang_elmo(str(models), LANGUAGES, options, layout="released")
    write_treebanks(treebanks)
    for name, value in {
        # URLs go through cached_path, which reads a local `file://` URL in place.
        "ELMO_DIR": f"file://{models}",
        "ALIGN_DIR": str(models),
        "TRAIN_PATHNAME": str(treebanks / "*-train.conllu"),
        "DEV_PATHNAME": str(treebanks / "*-dev.conllu"),
        "TEST_PATHNAME": f"file://{treebanks}/es_pud-ud-dev.conllu",
    }.items():
        monkeypatch.setenv(name, value)
    overrides = {
        "dataset_reader.instances_per_language": INSTANCES_PER_LANGUAGE,
        "trainer.num_epochs": 1,
        "trainer.cuda_device": -1,
    }
    params = Params.from_file(PAPER_CONFIG, json.dumps(overrides))
    assert params["dataset_reader"]["languages"] == SOURCES
    assert params["model"]["langs_for_early_stop"] == SOURCES
    assert params["validation_dataset_reader"]["languages"] == LANGUAGES
    embedder = params["model"]["text_field_embedder"]["token_embedders"]["elmo"]
    assert embedder["weight_files"]["es"] == f"file://{models}/es_weights.hdf5"
    assert embedder["aligning_files"]["en"] == f"{models}/en_best_mapping.pth"

    train_model(params, str(tmp_path / "run"))

    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    # One batch of every source language: the same_language sampler never mixes them.
    assert metrics["training_loss"] > 0
    for lang in LANGUAGES:
        assert 0.0 <= metrics[f"validation_LAS_{lang}"] <= metrics[f"validation_UAS_{lang}"] <= 1.0
    # The zero-shot target stays out of model selection; the test file is the URL's.
    sources_average = sum(metrics[f"validation_LAS_{lang}"] for lang in SOURCES) / len(SOURCES)
    assert abs(metrics["validation_LAS_AVG"] - sources_average) < 1e-9
    assert {"test_UAS_es", "test_LAS_es"} <= set(metrics)
    assert not any(key.startswith("test_UAS_") and key != "test_UAS_es" for key in metrics)
