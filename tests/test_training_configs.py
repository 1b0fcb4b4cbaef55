"""
The paper's configuration, with files named as the authors released them, builds a model that
parses: tiny stand-ins of the released ELMo geometry's output (1024 dimensions) keep it fast.
"""
import json
import os

import numpy
import torch
from allennlp.common import Params
from allennlp.data import Batch, DatasetReader, Vocabulary
from allennlp.models import Model

from allennlp_multilang_elmo.testing import elmo_options, random_orthogonal, write_alignment
from allennlp_multilang_elmo.testing.demo_config import REPO_ROOT
from allennlp_multilang_elmo.testing.elmo_factory import write_elmo_weights

PAPER_CONFIG = os.path.join(REPO_ROOT, "training_configs", "multilang_dependency_parser.jsonnet")
FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "ud_multilang")
LANGUAGES = ["en", "de", "fr", "it", "pt", "sv", "es"]


def write_released_layout(elmo_dir, align_dir) -> None:
    """options262.json, <lang>_weights.hdf5 and <lang>_best_mapping.pth, as the authors named them."""
    options = elmo_options(projection_dim=512, cell_dim=16)  # 1024-dimensional output
    with open(os.path.join(elmo_dir, "options262.json"), "w") as f:
        json.dump(options, f)
    for seed, lang in enumerate(LANGUAGES):
        write_elmo_weights(options, os.path.join(elmo_dir, f"{lang}_weights.hdf5"), seed=seed)
        # English maps onto itself, scaled (the released en_best_mapping.pth is identity / norm).
        matrix = numpy.eye(1024) / 7.0 if lang == "en" else random_orthogonal(1024, seed) / 7.0
        write_alignment(os.path.join(align_dir, f"{lang}_best_mapping.pth"), matrix, "muse")


def test_paper_config_builds_a_parser_from_the_released_file_layout(tmp_path, monkeypatch):
    elmo_dir, align_dir = tmp_path / "elmo", tmp_path / "align"
    elmo_dir.mkdir()
    align_dir.mkdir()
    write_released_layout(str(elmo_dir), str(align_dir))
    for name, value in {
        "ELMO_DIR": str(elmo_dir),
        "ALIGN_DIR": str(align_dir),
        "TRAIN_PATHNAME": os.path.join(FIXTURES, "*_pud-ud-train.conllu"),
        "DEV_PATHNAME": os.path.join(FIXTURES, "*_pud-ud-dev.conllu"),
        "TEST_PATHNAME": os.path.join(FIXTURES, "*_pud-ud-dev.conllu"),
    }.items():
        monkeypatch.setenv(name, value)
    params = Params.from_file(PAPER_CONFIG)
    assert params["dataset_reader"]["languages"] == ["en", "de", "fr", "it", "pt", "sv"]
    assert params["model"]["langs_for_early_stop"] == params["dataset_reader"]["languages"]
    assert "es" in params["validation_dataset_reader"]["languages"]

    reader = DatasetReader.from_params(params.pop("validation_dataset_reader"))
    instances = list(reader.read(os.environ["DEV_PATHNAME"]))
    vocab = Vocabulary.from_instances(instances)
    model = Model.from_params(vocab=vocab, params=params.pop("model"))
    spanish = [i for i in instances if i["metadata"]["lang"] == "es"]
    batch = Batch(spanish)
    batch.index_instances(vocab)
    model.eval()
    output = model(**batch.as_tensor_dict())
    assert torch.isfinite(output["loss"])
    assert set(model.get_metrics()) >= {"UAS_es", "LAS_es"}
