import json
import os

import numpy
import pytest
import torch
from allennlp.commands.train import train_model_from_file
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import ModelTestCase
from allennlp.data import Vocabulary
from allennlp.models import Model
from allennlp.models.archival import archive_model
from allennlp.modules.elmo import Elmo, _ElmoBiLm, batch_to_ids
from allennlp.nn.util import add_sentence_boundary_token_ids, remove_sentence_boundaries
from helpers.demo_training import REPO_ROOT

from allennlp_multilang_elmo.commands.elmo_export import export_elmo_archive
from allennlp_multilang_elmo.models.elmo_language_model import ElmoLanguageModel
from allennlp_multilang_elmo.modules.elmo_weights import read_elmo_weights, write_elmo_files
from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options, write_elmo_model

CORPUS = os.path.join(REPO_ROOT, "tests", "fixtures", "bilm", "bible_en_es.tsv")
BATCHES = [
    [["In", "the", "beginning", "."], ["God", "said", ",", "Let", "there", "be", "light"]],
    [["The", "earth", "was", "empty"], ["and", "dark"], ["Y", "dijo", "Dios"]],
    [["light", "."], ["Darkness", "was", "on", "the", "surface", "of", "the", "deep", "."]],
]


def bilm_config(directory, **model_overrides) -> str:
    """A tiny biLM trained for two epochs on the fixture's English column; returns its path."""
    model = {
        "type": "elmo_bilm_language_model",
        "options": elmo_options(),
        "num_samples": 20,
        "dropout": 0.1,
        **model_overrides,
    }
    config = {
        "dataset_reader": {"type": "bilm_text", "num_streams": 4, "column": 1, "language": "en"},
        "train_data_path": CORPUS,
        "validation_data_path": CORPUS,
        "model": model,
        "data_loader": {"batch_size": 4, "shuffle": False},
        "trainer": {"num_epochs": 2, "optimizer": {"type": "adam", "lr": 0.01}, "cuda_device": -1},
    }
    path = os.path.join(directory, "experiment.json")
    with open(path, "w") as f:
        json.dump(config, f)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny trained biLM archive, its model and its export."""
    directory = tmp_path_factory.mktemp("bilm")
    model = train_model_from_file(
        bilm_config(str(directory)), str(directory / "run"), return_model=True
    )
    archive = str(directory / "run" / "model.tar.gz")
    files = export_elmo_archive(archive, str(directory / "export"))
    return {"archive": archive, "model": model.eval(), "files": files, "directory": directory}


def model_layers(model: ElmoLanguageModel, sentences):
    """The model's layers for sentences, boundaries added as AllenNLP's biLM adds them."""
    ids = batch_to_ids(sentences)
    characters, mask = add_sentence_boundary_token_ids(
        ids,
        (ids > 0).any(dim=-1),
        model._token_encoder.bos_characters,
        model._token_encoder.eos_characters,
    )
    with torch.no_grad():
        return model.representations(characters, mask), mask


class TestElmoLanguageModel(ModelTestCase):
    def test_can_train_save_and_load(self):
        self.ensure_model_can_train_save_and_load(bilm_config(str(self.TEST_DIR)), seed=3)

    def test_full_softmax_trains_too(self):
        self.ensure_model_can_train_save_and_load(
            bilm_config(str(self.TEST_DIR), num_samples=None), seed=3
        )

    def test_untrained_perplexity_is_about_the_vocabulary_size_and_loss_is_the_mean(self):
        self.set_up_model(bilm_config(str(self.TEST_DIR)), CORPUS)
        self.model.eval()
        with torch.no_grad():
            output = self.model(**self.dataset.as_tensor_dict())
        assert torch.isclose(
            output["loss"], 0.5 * (output["forward_loss"] + output["backward_loss"])
        )
        metrics = self.model.get_metrics(reset=True)
        # Untrained, every word of the vocabulary is about equally likely.
        vocab_size = self.vocab.get_vocab_size("tokens") - 1
        assert vocab_size / 2 < metrics["perplexity"] < vocab_size * 2
        assert metrics["perplexity"] == pytest.approx(float(torch.exp(output["loss"])), rel=1e-4)


class TestExport:
    def test_allennlp_biLM_on_the_export_gives_the_trained_representations(self, trained):
        bilm = _ElmoBiLm(trained["files"]["options_file"], trained["files"]["weight_file"])
        model = trained["model"]
        model.reset_states()
        # Consecutive batches of different sizes: the carried states must agree too.
        for sentences in BATCHES:
            expected = bilm(batch_to_ids(sentences))
            layers, mask = model_layers(model, sentences)
            assert torch.equal(expected["mask"], mask)
            assert len(expected["activations"]) == len(layers) == 3
            for theirs, ours in zip(expected["activations"], layers):
                assert (theirs - ours).abs().max() <= 1e-5

    def test_allennlp_elmo_on_the_export_gives_the_trained_mix(self, trained):
        elmo = Elmo(
            trained["files"]["options_file"],
            trained["files"]["weight_file"],
            num_output_representations=1,
            dropout=0.0,
            scalar_mix_parameters=[0.0, 1.0, 2.0],
        )
        model = trained["model"]
        model.reset_states()
        weights = torch.softmax(torch.tensor([0.0, 1.0, 2.0]), dim=0)
        for sentences in BATCHES:
            expected = elmo(batch_to_ids(sentences))["elmo_representations"][0]
            layers, mask = model_layers(model, sentences)
            mixed = sum(w * layer for w, layer in zip(weights, layers))
            ours, _ = remove_sentence_boundaries(mixed, mask)
            assert (expected - ours).abs().max() <= 1e-5

    def test_export_files_are_the_models_options_and_arrays(self, trained):
        with open(trained["files"]["options_file"]) as f:
            options = json.load(f)
        assert options["lstm"] == {**elmo_options()["lstm"]}
        assert options["char_cnn"]["n_characters"] == 262 and options["bidirectional"] is True
        arrays = read_elmo_weights(trained["files"]["weight_file"], options)
        for name, array in trained["model"].elmo_weights().items():
            assert numpy.array_equal(arrays[name], array), name

    def test_a_bilm_tf_file_loaded_and_exported_again_gives_the_same_tensors(self, tmp_path):
        options_file, weight_file = write_elmo_model(str(tmp_path / "factory"), seed=7)
        vocab = Vocabulary({"tokens": {"word": 1}})
        model = ElmoLanguageModel(
            vocab, options_file=options_file, weight_file=weight_file, num_samples=None
        )
        original = read_elmo_weights(weight_file, model.options)
        exported = model.elmo_weights()
        assert exported.keys() == original.keys()
        for name, array in original.items():
            if name.endswith("/B"):
                # The forget bias goes through AllenNLP's +1 and back: one float32 rounding at 1.
                assert numpy.abs(exported[name] - array).max() <= 2**-23
            else:
                assert numpy.array_equal(exported[name], array), name
        files = write_elmo_files(model.options, exported, str(tmp_path / "export"))
        again = ElmoLanguageModel(
            vocab,
            options_file=files["options_file"],
            weight_file=files["weight_file"],
            num_samples=None,
        )
        biLM = {k: v for k, v in model.state_dict().items() if not k.startswith("_softmax")}
        for name, tensor in biLM.items():
            assert torch.equal(again.state_dict()[name], tensor), name


class TestBadInput:
    def test_empty_corpus(self, tmp_path):
        empty = tmp_path / "empty.tsv"
        empty.write_text("\n  \n", encoding="utf-8")
        config = bilm_config(str(tmp_path))
        with pytest.raises(ConfigurationError, match=f"corpus '{empty}' is empty"):
            train_model_from_file(
                config,
                str(tmp_path / "run"),
                overrides=json.dumps({"train_data_path": str(empty)}),
            )
        assert not (tmp_path / "run" / "model.tar.gz").exists()

    def test_corpus_with_no_line_in_the_vocabulary(self, tmp_path):
        config = bilm_config(str(tmp_path))
        overrides = {"vocabulary": {"min_count": {"tokens": 10000}}}
        with pytest.raises(ConfigurationError, match="holds no word of the corpus"):
            train_model_from_file(config, str(tmp_path / "run"), overrides=json.dumps(overrides))
        assert not (tmp_path / "run" / "model.tar.gz").exists()

    def test_too_many_samples(self):
        vocab = Vocabulary({"tokens": {"a": 1, "b": 1}})
        with pytest.raises(ConfigurationError, match="num_samples .20. must be smaller"):
            ElmoLanguageModel(vocab, options=elmo_options(), num_samples=20)

    def test_invalid_options_are_named(self):
        options = elmo_options()
        options["lstm"]["n_layers"] = 0
        with pytest.raises(ConfigurationError, match="model's ELMo options is invalid.*n_layers"):
            ElmoLanguageModel(Vocabulary({"tokens": {"a": 1}}), options=options)

    def test_existing_output_folder(self, trained, tmp_path):
        existing = tmp_path / "out"
        existing.mkdir()
        with pytest.raises(ConfigurationError, match="already exists"):
            export_elmo_archive(trained["archive"], str(existing))
        assert list(existing.iterdir()) == []

    def test_archive_without_a_bilm(self, tmp_path):
        run = tmp_path / "classifier"
        run.mkdir()
        config = {
            "dataset_reader": {"type": "bilm_text"},
            "model": {
                "type": "basic_classifier",
                "text_field_embedder": {
                    "token_embedders": {"tokens": {"type": "embedding", "embedding_dim": 2}}
                },
                "seq2vec_encoder": {"type": "boe", "embedding_dim": 2},
            },
        }
        (run / "config.json").write_text(json.dumps(config))
        vocab = Vocabulary({"tokens": {"a": 1}, "labels": {"x": 1}})
        vocab.save_to_files(str(run / "vocabulary"))
        model = Model.from_params(vocab=vocab, params=Params(config["model"]))
        torch.save(model.state_dict(), run / "best.th")
        archive_model(str(run))
        with pytest.raises(ConfigurationError, match="holds a BasicClassifier, not a biLM"):
            export_elmo_archive(str(run / "model.tar.gz"), str(tmp_path / "out"))
        assert not (tmp_path / "out").exists()

    def test_missing_or_damaged_archive(self, tmp_path):
        with pytest.raises(ConfigurationError, match="does not exist"):
            export_elmo_archive(str(tmp_path / "none.tar.gz"), str(tmp_path / "out"))
        damaged = tmp_path / "damaged.tar.gz"
        damaged.write_bytes(b"not an archive")
        with pytest.raises(ConfigurationError, match="Cannot load the archive"):
            export_elmo_archive(str(damaged), str(tmp_path / "out"))
        assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.tar.gz"]

    def test_a_failed_write_leaves_nothing(self, tmp_path):
        with pytest.raises(TypeError):
            write_elmo_files(elmo_options(), {"char_embed": object()}, str(tmp_path / "out"))
        assert list(tmp_path.iterdir()) == []
