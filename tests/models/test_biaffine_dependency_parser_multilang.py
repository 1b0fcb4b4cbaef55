import copy
import itertools
import json
import os
from typing import Dict, List

import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import ModelTestCase
from allennlp.data import Batch, DataLoader, DatasetReader, Vocabulary
from allennlp.models import Model
from allennlp.modules import TokenEmbedder
from helpers.demo_training import REPO_ROOT, deep_merge, demo_config

from allennlp_multilang_elmo.common.language_codes import decode_languages
from allennlp_multilang_elmo.modules.tiny_elmo import write_multilang_elmo

FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "ud_multilang")
LANGUAGES = ["en", "de", "fr", "es", "it"]
TRAIN_LANGUAGES = ["en", "de", "fr"]
# A zero-mean bias of a softmax over heads gets no gradient; AllenNLP's own parser tests skip it
# too.
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


def reset_elmo_states(model: Model) -> None:
    """Forgets the LSTM states that stateful ELMo carries from one batch to the next."""
    for module in model.modules():
        if hasattr(module, "reset_states"):
            module.reset_states()


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
        # Reset: no language is left (the parent's all-language scores restart at zero).
        assert not [name for name in self.model.get_metrics() if "_" in name]

    def test_stock_indexer_batches_may_mix_languages(self):
        # The model gives each instance's language to the embedder as per-token codes, as
        # elmo_characters_multilang would: a mixed batch parses each instance with its own ELMo.
        stock_indexer_every_language = {
            "token_indexers": {"elmo": {"type": "elmo_characters"}},
            "languages": None,
            "instances_per_language": None,
        }
        self.set_up_model(
            self.write_config({"dataset_reader": stock_indexer_every_language}),
            os.path.join(FIXTURES, "*_pud-ud-dev.conllu"),
        )
        self.model.eval()
        first, last = self.instances[0], self.instances[-1]
        assert (first["metadata"]["lang"], last["metadata"]["lang"]) == ("de", "it")
        mixed = self.model.forward_on_instances([first, last])
        reset_elmo_states(self.model)
        alone = self.model.forward_on_instances([last])
        assert mixed[1]["predicted_heads"] == alone[0]["predicted_heads"]
        assert [output["lang"] for output in mixed] == ["de", "it"]

    def elmo_state_changes(self, config) -> List[str]:
        """The ELMo tensors that model construction changed, against the embedder built alone."""

        def tensors(module: torch.nn.Module) -> Dict[str, torch.Tensor]:
            # Parameters and buffers, not the state dict: frozen biLM weights are not in it.
            return dict(itertools.chain(module.named_parameters(), module.named_buffers()))

        elmo_params = config["model"]["text_field_embedder"]["token_embedders"]["elmo"]
        alone = tensors(TokenEmbedder.from_params(Params(copy.deepcopy(elmo_params))))
        model = Model.from_params(vocab=Vocabulary(), params=Params(config).pop("model"))
        in_model = tensors(model.text_field_embedder.token_embedder_elmo)
        assert set(in_model) == set(alone) and len(alone) > 10
        return [name for name in alone if not torch.equal(in_model[name], alone[name])]

    def test_pretrained_elmo_weights_survive_model_construction(self):
        assert self.elmo_state_changes(json.load(open(self.write_config({})))) == []

    def test_an_initializer_matching_elmo_projections_leaves_them(self):
        # A usual parser initializer such as ".*projection.*weight" also matches ELMo's own
        # projections; no config line is needed to keep them (compat patch B16).
        projection = [[".*projection.*weight", {"type": "xavier_uniform"}]]
        config = json.load(
            open(self.write_config({"model": {"initializer": {"regexes": projection}}}))
        )
        config["model"]["initializer"].pop("prevent_regexes", None)
        assert self.elmo_state_changes(config) == []


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
        for option in ("langs_for_early_stop", "pos_tagger", "pos_tagger_encoder"):
            del config["model"][option]
        config["trainer"]["validation_metric"] = "+LAS"
        with open(path, "w") as f:
            json.dump(config, f)
        return path

    def make_validation_loader(self, path: str):
        params = Params(json.load(open(path)))
        reader = DatasetReader.from_params(params.pop("validation_dataset_reader"))
        loader = DataLoader.from_params(
            reader=reader,
            data_path=params.pop("validation_data_path"),
            params=params.pop("data_loader"),
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


class TestPosTagger(MultiLangParserTestCase):
    """The UPOS tagger head (on in the demo config) and how its tags reach the parser."""

    def set_up_tagger_model(self, overrides=None) -> None:
        every_language = {"dataset_reader": {"languages": None, "instances_per_language": None}}
        deep_merge(every_language, overrides or {})
        self.set_up_model(
            self.write_config(every_language), os.path.join(FIXTURES, "*_pud-ud-dev.conllu")
        )
        self.model.eval()
        self.reader = DatasetReader.from_params(
            Params(json.load(open(self.param_file))).pop("validation_dataset_reader")
        )

    def parse(self, language, words, pos):
        """One sentence, from fresh ELMo states, so that two calls can be compared exactly."""
        reset_elmo_states(self.model)
        instance = self.reader.text_to_instance(language, words, pos)
        self.reader.apply_token_indexers(instance)
        return self.model.forward_on_instance(instance)

    def test_upos_accuracy_per_language_and_loss(self):
        self.set_up_tagger_model()
        for language in LANGUAGES:
            instances = [i for i in self.instances if i["metadata"]["lang"] == language]
            batch = Batch(instances)
            batch.index_instances(self.vocab)
            with torch.no_grad():
                output = self.model(**batch.as_tensor_dict())
            losses = [float(output[k]) for k in ("loss", "arc_loss", "tag_loss", "pos_tag_loss")]
            assert losses[3] > 0
            assert losses[0] == pytest.approx(sum(losses[1:]))
        metrics = self.model.get_metrics(reset=True)
        for language in LANGUAGES:
            assert 0.0 <= metrics[f"UPOS_{language}"] <= 1.0
        expected = sum(metrics[f"UPOS_{lang}"] for lang in TRAIN_LANGUAGES) / 3
        assert metrics["UPOS_AVG"] == pytest.approx(expected)
        assert {"UAS_es", "LAS_es", "UAS", "LAS"} <= set(metrics)

    def test_missing_tags_are_replaced_by_predicted_ones(self):
        self.set_up_tagger_model()
        words = ["El", "gato", "duerme", "en", "el", "sofá", "."]
        untagged = self.parse("es", words, ["_"] * len(words))
        predicted = untagged["predicted_pos"]
        assert untagged["pos"] == predicted
        assert not {"_", "@@UNKNOWN@@", "@@PADDING@@"} & set(predicted)
        # Parsing with the predicted tags as input gives exactly the same parse.
        tagged = self.parse("es", words, predicted)
        assert tagged["pos"] == predicted
        assert tagged["predicted_heads"] == untagged["predicted_heads"]
        assert tagged["predicted_dependencies"] == untagged["predicted_dependencies"]
        assert tagged["arc_loss"] == pytest.approx(untagged["arc_loss"])

    def test_known_tags_are_used_as_given(self):
        self.set_up_tagger_model()
        words = ["Le", "chat", "dort", "."]
        given = ["DET", "NOUN", "VERB", "PUNCT"]
        output = self.parse("fr", words, given)
        assert output["pos"] == given
        # An unknown tag is missing too; only that word gets the tagger's tag.
        mixed = self.parse("fr", words, ["DET", "NNS", "VERB", "PUNCT"])
        assert mixed["pos"] == ["DET", mixed["predicted_pos"][1], "VERB", "PUNCT"]

    def test_predicted_pos_input_parses_gold_tagged_words_as_raw_text(self):
        self.set_up_tagger_model({"model": {"pos_input": "predicted"}})
        words = ["El", "gato", "duerme", "en", "el", "sofá", "."]
        gold = self.parse("es", words, ["DET", "NOUN", "VERB", "ADP", "DET", "NOUN", "PUNCT"])
        untagged = self.parse("es", words, ["_"] * len(words))
        # The parser reads the tagger's tags, gold or not: the same parse as without tags.
        assert gold["pos"] == gold["predicted_pos"] == untagged["pos"]
        assert gold["predicted_heads"] == untagged["predicted_heads"]
        with pytest.raises(ConfigurationError, match="needs the POS tagger"):
            self.set_up_tagger_model({"model": {"pos_input": "predicted", "pos_tagger": False}})

    def test_conll18_scores_count_punctuation(self):
        self.set_up_tagger_model()
        batch = Batch([i for i in self.instances if i["metadata"]["lang"] == "en"])
        batch.index_instances(self.vocab)
        with torch.no_grad():
            self.model(**batch.as_tensor_dict())
        metrics = self.model.get_metrics(reset=True)
        assert {"conll18_UAS_en", "conll18_LAS_en", "conll18_LAS_AVG"} <= set(metrics)
        assert 0 <= metrics["conll18_LAS_en"] <= metrics["conll18_UAS_en"] <= 1

    def test_tagger_without_pos_input_tags_for_output_only(self):
        self.set_up_tagger_model(
            {"model": {"pos_tag_embedding": None, "encoder": {"input_size": 16}}}
        )
        assert self.model._pos_tag_embedding is None
        words = ["The", "cat", "sleeps", "."]
        output = self.parse("en", words, ["_"] * 4)
        assert len(output["predicted_pos"]) == 4 and output["pos"] == output["predicted_pos"]
        self.ensure_model_can_train_save_and_load(
            self.param_file, gradients_to_ignore=GRADIENTS_TO_IGNORE, seed=13
        )

    def test_tagger_options_need_the_tagger(self):
        config = json.load(open(self.write_config({"model": {"pos_tagger": False}})))
        with pytest.raises(ConfigurationError, match="set pos_tagger: true"):
            Model.from_params(vocab=Vocabulary(), params=Params(config).pop("model"))
