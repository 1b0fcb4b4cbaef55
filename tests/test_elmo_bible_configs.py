"""training_configs/elmo_bible.jsonnet and demo_en_es.jsonnet: consistent, and both train."""

import json
import os

import h5py
import numpy
import pytest
import torch
from allennlp.commands.train import train_model
from allennlp.common import Params
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.models.archival import load_archive
from allennlp.training.util import evaluate
from helpers.demo_training import REPO_ROOT

from allennlp_multilang_elmo.commands.elmo_export import export_elmo_archive
from allennlp_multilang_elmo.modules.elmo_weights import check_elmo_options, expected_weight_shapes
from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options

pytestmark = pytest.mark.end_to_end

CONFIGS = os.path.join(REPO_ROOT, "training_configs")
CORPUS = os.path.join(REPO_ROOT, "tests", "fixtures", "bilm", "bible_en_es.tsv")
FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "ud_multilang")


def bilm_params(language: str) -> Params:
    return Params.from_file(
        os.path.join(CONFIGS, "elmo_bible.jsonnet"), ext_vars={"BILM_LANGUAGE": language}
    )


@pytest.mark.parametrize("language, column", [("en", 1), ("es", 2)])
def test_bilm_config_reads_its_languages_column_and_stays_small(language, column):
    params = bilm_params(language).as_dict(quiet=True)
    assert params["dataset_reader"]["column"] == column
    assert params["dataset_reader"]["language"] == language
    assert params["data_loader"]["batch_size"] == params["dataset_reader"]["num_streams"]
    options = check_elmo_options(params["model"]["options"])
    size = sum(4 * numpy.prod(shape) for shape in expected_weight_shapes(options).values())
    assert size < 20 * 2**20


@pytest.mark.parametrize("use_pos, input_size", [("true", 128 + 32), ("false", 128)])
def test_demo_config_fits_the_bilms(use_pos, input_size):
    demo = Params.from_file(
        os.path.join(CONFIGS, "demo_en_es.jsonnet"), ext_vars={"DEMO_POS": use_pos}
    ).as_dict(quiet=True)
    model = demo["model"]
    assert model["encoder"]["input_size"] == input_size
    assert ("pos_tag_embedding" in model) == (use_pos == "true")
    elmo = model["text_field_embedder"]["token_embedders"]["elmo"]
    assert set(elmo["weight_files"]) == {"en", "es"} and set(elmo["aligning_files"]) == {"es"}
    projection = bilm_params("en").as_dict(quiet=True)["model"]["options"]["lstm"]["projection_dim"]
    assert 2 * projection == 128


def test_bilm_config_trains_exports_and_reproduces_from_its_seed(tmp_path):
    exports = []
    for attempt in ("first", "second"):
        params = bilm_params("es")
        params["train_data_path"] = params["validation_data_path"] = CORPUS
        params["model"]["options"] = elmo_options()
        params["model"]["num_samples"] = 20
        params["vocabulary"] = {"min_count": {"tokens": 1}}
        params["dataset_reader"]["num_streams"] = params["data_loader"]["batch_size"] = 8
        params["trainer"]["num_epochs"] = 1
        run = tmp_path / attempt
        train_model(params, str(run / "run"))
        with open(run / "run" / "metrics.json") as f:
            assert json.load(f)["validation_perplexity"] > 1
        files = export_elmo_archive(str(run / "run" / "model.tar.gz"), str(run / "es"))
        assert all(os.path.isfile(path) for path in files.values())
        exports.append(files["weight_file"])
    # The config's seeds make training repeatable: the same weights, bit for bit.
    first, second = (h5py.File(path, "r") for path in exports)
    names: list = []
    first.visit(lambda name: names.append(name) if isinstance(first[name], h5py.Dataset) else None)
    assert names
    for name in names:
        assert numpy.array_equal(first[name][...], second[name][...]), name


def test_demo_config_trains_with_the_shipped_bilms_and_its_archive_parses_spanish(
    tmp_path, monkeypatch
):
    params = Params.from_file(
        os.path.join(CONFIGS, "demo_en_es.jsonnet"), ext_vars={"DEMO_POS": "true"}
    )
    params["train_data_path"] = os.path.join(FIXTURES, "en_pud-ud-train.conllu")
    params["validation_data_path"] = os.path.join(FIXTURES, "en_pud-ud-dev.conllu")
    elmo = params["model"]["text_field_embedder"]["token_embedders"]["elmo"]
    elmo["activation_cache"] = str(tmp_path / "cache")
    params["trainer"]["num_epochs"] = 1
    monkeypatch.chdir(REPO_ROOT)  # the config's biLM paths are relative to the repository
    train_model(params, str(tmp_path / "run"))

    monkeypatch.chdir(tmp_path)  # the archive holds its ELMo files: it loads from anywhere
    archive = load_archive(str(tmp_path / "run" / "model.tar.gz"))
    model, reader = archive.model.eval(), archive.validation_dataset_reader
    spanish = [m for name, m in model.named_modules() if name.endswith("_elmos.es")][0]
    assert not torch.equal(spanish.alignment, torch.eye(128).expand_as(spanish.alignment))
    loader = MultiProcessDataLoader(
        reader, os.path.join(FIXTURES, "es_pud-ud-dev.conllu"), batch_size=8
    )
    loader.index_with(model.vocab)
    metrics = evaluate(model, loader, cuda_device=-1)
    assert 0 < metrics["UAS_es"] <= 1 and "UPOS_es" in metrics
