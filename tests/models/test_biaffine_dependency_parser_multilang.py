import json
import os

import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import ModelTestCase
from allennlp.data import DataLoader, DatasetReader, Vocabulary
from allennlp.models import Model
from allennlp.modules.elmo import Elmo

from allennlp_multilang_elmo.common.language_codes import decode_languages
from allennlp_multilang_elmo.testing import write_multilang_elmo
from allennlp_multilang_elmo.testing.demo_config import REPO_ROOT, deep_merge, demo_config

FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "ud_multilang")
LANGUAGES = ["en", "de", "fr", "es", "it"]
TRAIN_LANGUAGES = ["en", "de", "fr"]
# A zero-mean bias of a softmax over heads gets no gradient; AllenNLP's own parser tests skip it too.
GRADIENTS_TO_IGNORE = {"arc_attention._bias"}


class MultiLangParserTestCase(ModelTestCase):
    def setup_method(self):
        super().setup_method()
        self.elmo_files = write_multilang_elmo(str(self.TEST_DIR / "elmo"), LANGUAGES)

    def write_config(self, overrides) -> str:
        config = demo_config(
            self.elmo_files,
            os.path.join(FIXTURES, "*_pud-ud-train.conllu"),
            os.path.join(FIXTURES, "*_pud-ud-dev.conllu"),
            {
                # One pass over the fixtures: ModelTestCase reads the validation data twice with
                # the training reader and expects the same instances, which balanced sampling
                # (a new draw every pass) would not give. It is trained in test_commands.
                "dataset_reader": {"instances_per_language": None},
                # ModelTestCase compares two loaders' first batches: no shuffling.
                "data_loader": {"batch_sampler": {"batch_size": 8, "shuffle": False}},
                "trainer": {"num_epochs": 2, "patience": None},
            },
        )
        deep_merge(config, overrides)
        path = str(self.TEST_DIR / "experiment.json")
        with open(path, "w") as f:
            json.dump(config, f)
        return path


class TestMultiLangParserSameLanguageBatches(MultiLangParserTestCase):
    """`biaffine_parser_multilang` with the `same_language` sampler: the demo and paper setting."""

    def test_can_train_save_and_load(self):
        path = self.write_config({})
        self.ensure_model_can_train_save_and_load(
            path, gradients_to_ignore=GRADIENTS_TO_IGNORE, seed=13
        )

    def test_language_passed_as_a_string_with_the_stock_indexer(self):
        stock_indexer = {"token_indexers": {"elmo": {"type": "elmo_characters"}}}
        path = self.write_config(
            {"dataset_reader": stock_indexer, "validation_dataset_reader": stock_indexer}
        )
        self.ensure_model_can_train_save_and_load(
            path, gradients_to_ignore=GRADIENTS_TO_IGNORE, seed=13
        )

    def test_per_language_metrics_and_average_over_early_stop_languages(self):
        every_language = {"dataset_reader": {"languages": None, "instances_per_language": None}}
        self.set_up_model(
            self.write_config(every_language), os.path.join(FIXTURES, "*_pud-ud-dev.conllu")
        )
        self.model.eval()
        for language in LANGUAGES:
            instances = [i for i in self.instances if i["metadata"]["lang"] == language]
            self.model.forward_on_instances(instances)
        metrics = self.model.get_metrics(reset=True)
        assert {f"{s}_{lang}" for s in ("UAS", "LAS") for lang in LANGUAGES} < set(metrics)
        for score in ("UAS", "LAS"):
            expected = sum(metrics[f"{score}_{lang}"] for lang in TRAIN_LANGUAGES) / 3
            assert metrics[f"{score}_AVG"] == pytest.approx(expected)
        assert self.model.get_metrics() == {}

    def test_string_language_path_rejects_mixed_batches(self):
        stock_indexer_every_language = {
            "token_indexers": {"elmo": {"type": "elmo_characters"}},
            "languages": None,
            "instances_per_language": None,
        }
        self.set_up_model(
            self.write_config({"dataset_reader": stock_indexer_every_language}),
            os.path.join(FIXTURES, "*_pud-ud-dev.conllu"),
        )
        mixed = [self.instances[0], self.instances[-1]]
        with pytest.raises(ConfigurationError, match=r"mixes languages \['de', 'it'\].*same_language"):
            self.model.forward_on_instances(mixed)

    def test_pretrained_elmo_weights_survive_model_construction(self):
        params = Params(json.load(open(self.write_config({}))))
        model = Model.from_params(vocab=Vocabulary(), params=params.pop("model"))
        embedder = model.text_field_embedder.token_embedder_elmo
        for language in LANGUAGES:
            loaded = Elmo(
                self.elmo_files["options_files"][language], self.elmo_files["weight_files"][language], 1
            ).state_dict()
            in_model = embedder._elmos[language].state_dict()
            bilm_weights = [name for name in loaded if name.startswith("_elmo_lstm.")]
            assert bilm_weights
            for name in bilm_weights:
                assert torch.equal(in_model[name], loaded[name]), f"{language}: {name} was re-initialised"

    def test_without_prevent_regexes_the_initializer_would_overwrite_elmo(self):
        # Why the configs need prevent_regexes: the parser's ".*projection.*weight" initializer
        # also matches ELMo's own projections.
        config = json.load(open(self.write_config({})))
        del config["model"]["initializer"]["prevent_regexes"]
        model = Model.from_params(vocab=Vocabulary(), params=Params(config).pop("model"))
        loaded = Elmo(self.elmo_files["options_files"]["en"], self.elmo_files["weight_files"]["en"], 1)
        name = "_elmo_lstm._elmo_lstm.forward_layer_0.state_projection.weight"
        in_model = model.text_field_embedder.token_embedder_elmo._elmos["en"].state_dict()[name]
        assert not torch.equal(in_model, loaded.state_dict()[name])


class TestStockParserWithLanguageIndexer(MultiLangParserTestCase):
    """The stock `biaffine_parser`: the language travels with the indexer; batches mix languages."""

    def write_stock_config(self) -> str:
        path = self.write_config(
            {
                "data_loader": {
                    "batch_sampler": {
                        "type": "bucket",
                        "batch_size": 8,
                        "sorting_keys": ["words"],
                        "shuffle": False,
                    }
                }
            }
        )
        config = json.load(open(path))
        config["model"]["type"] = "biaffine_parser"
        del config["model"]["langs_for_early_stop"]
        config["trainer"]["validation_metric"] = "+LAS"
        with open(path, "w") as f:
            json.dump(config, f)
        return path

    def make_validation_loader(self, path: str):
        params = Params(json.load(open(path)))
        reader = DatasetReader.from_params(params.pop("validation_dataset_reader"))
        loader = DataLoader.from_params(
            reader=reader, data_path=params.pop("validation_data_path"), params=params.pop("data_loader")
        )
        loader.index_with(self.vocab)
        return loader

    def test_can_train_save_and_load_with_mixed_language_batches(self):
        path = self.write_stock_config()
        self.set_up_model(path, os.path.join(FIXTURES, "*_pud-ud-dev.conllu"))
        # The validation reader reads every language; its batches mix them.
        validation_batch = next(iter(self.make_validation_loader(path)))
        languages = decode_languages(validation_batch["words"]["elmo"]["lang"][:, 0])
        assert len(set(languages)) > 1
        self.ensure_model_can_train_save_and_load(
            path, gradients_to_ignore=GRADIENTS_TO_IGNORE, seed=13
        )
