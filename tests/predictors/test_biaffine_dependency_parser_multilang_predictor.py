import logging
import os

import pytest
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import DatasetReader, Vocabulary
from allennlp.models import Model
from allennlp_models.structured_prediction.predictors.biaffine_dependency_parser import (
    BiaffineDependencyParserPredictor,
)
from helpers.demo_training import REPO_ROOT, demo_config

from allennlp_multilang_elmo.compat._patching import unpatched
from allennlp_multilang_elmo.modules.tiny_elmo import write_multilang_elmo
from allennlp_multilang_elmo.predictors import BiaffineDependencyParserMultiLangPredictor

FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "ud_multilang")


@pytest.fixture(scope="module")
def predictor(tmp_path_factory) -> BiaffineDependencyParserMultiLangPredictor:
    """An untrained demo parser over all five languages: enough to test input and output."""
    files = write_multilang_elmo(
        str(tmp_path_factory.mktemp("elmo")), ["en", "de", "fr", "es", "it"]
    )
    config = Params(
        demo_config(
            files,
            os.path.join(FIXTURES, "*_pud-ud-train.conllu"),
            os.path.join(FIXTURES, "*_pud-ud-dev.conllu"),
        )
    )
    reader = DatasetReader.from_params(config.pop("validation_dataset_reader"))
    vocab = Vocabulary.from_instances(reader.read(os.path.join(FIXTURES, "*_pud-ud-*.conllu")))
    model = Model.from_params(vocab=vocab, params=config.pop("model"))
    return BiaffineDependencyParserMultiLangPredictor(model, reader)


class TestBiaffineDependencyParserMultiLangPredictor:
    @pytest.fixture(autouse=True)
    def _predictor(self, predictor):
        self.predictor = predictor

    def test_words_with_and_without_pos(self):
        tagged = self.predictor.predict_json(
            {"lang": "fr", "words": ["Le", "chat", "dort"], "pos": ["DET", "NOUN", "VERB"]}
        )
        untagged = self.predictor.predict_json({"lang": "de", "words": ["Die", "Katze", "schläft"]})
        assert tagged["lang"] == "fr" and tagged["pos"] == ["DET", "NOUN", "VERB"]
        # Without tags, the parser uses the tagger's.
        assert untagged["pos"] == untagged["predicted_pos"]
        assert not {"_", "@@UNKNOWN@@"} & set(untagged["pos"])
        for output in (tagged, untagged):
            assert len(output["predicted_heads"]) == 3
            assert output["hierplane_tree"]["root"]["word"] in output["words"]

    def test_applies_token_indexers_without_the_compat_patch(self):
        # B11 patches the stock parent predictor; ours applies the reader's indexers itself.
        with unpatched(
            BiaffineDependencyParserPredictor, "predict_instance", "predict_batch_instance"
        ):
            output = self.predictor.predict_json({"lang": "fr", "words": ["Le", "chat", "dort"]})
        assert output["lang"] == "fr" and len(output["predicted_heads"]) == 3

    def test_unknown_tags_are_replaced_with_one_warning(self, caplog):
        self.predictor._warned.clear()
        line = {"lang": "en", "words": ["The", "cat"], "pos": ["DT", "NOUN"]}
        with caplog.at_level(logging.WARNING):
            first = self.predictor.predict_json(line)
            self.predictor.predict_json(line)
        warnings = [r.message for r in caplog.records if "unknown to the model" in r.message]
        assert len(warnings) == 1 and "DT" in warnings[0]
        assert first["pos"] == [first["predicted_pos"][0], "NOUN"]

    def test_raw_sentences_use_the_language_rules(self):
        output = self.predictor.predict("L'homme dort.", "fr")
        assert output["words"] == ["L'", "homme", "dort", "."]
        # spaCy has no rules for this code: its multi-language rules split on spaces and
        # punctuation.
        assert self.predictor._tokenize("kot pies.", "qq") == ["kot", "pies", "."]

    def test_batches_mix_languages(self):
        outputs = self.predictor.predict_batch_json(
            [{"lang": "es", "words": ["Hola"]}, {"lang": "it", "words": ["Ciao", "a", "tutti"]}]
        )
        assert [o["lang"] for o in outputs] == ["es", "it"]
        assert [len(o["predicted_heads"]) for o in outputs] == [1, 3]

    @pytest.mark.parametrize(
        "line, message",
        [
            ({"words": ["a"]}, r"needs a 'lang'"),
            ({"lang": "en"}, r"needs 'words' \(a list of strings\) or 'sentence'"),
            ({"lang": "en", "words": []}, r"Nothing to parse"),
            ({"lang": "en", "sentence": "  "}, r"Nothing to parse: 'sentence' is blank"),
            ({"lang": "en", "words": ["a", "b"], "pos": ["DET"]}, r"'pos' has 1 tags for 2 words"),
            (
                {"lang": "sv", "words": ["Hej"]},
                r"no ELMo for language 'sv'; this model has de, en, es, fr, it",
            ),
            (
                {"lang": "en", "words": "The cat sleeps"},
                r"'words' must be a list of strings, not a string",
            ),
            (
                {"lang": "en", "words": {"The": 1}},
                r"'words' must be a list of strings, not an object",
            ),
            ({"lang": "en", "words": ["The", 7]}, r".*item 1 is a number \(7\)"),
            ({"lang": "en", "words": ["The", None]}, r".*item 1 is null"),
            ({"lang": "en", "words": ["The", " "]}, r".*not empty or only whitespace; item 1"),
            ({"lang": "en", "words": ["a"] * 401}, r"'words' has 401 words, more than the 400"),
            ({"lang": "en", "sentence": "a " * 401}, r"'sentence' has 401 words, more than"),
            ({"lang": "en", "words": ["a"], "pos": "DET"}, r"'pos' must be a list of strings"),
            ({"lang": None, "words": ["a"]}, r"'lang' is null"),
            (
                {"lang": 3, "words": ["a"]},
                r"'lang' must be a language code such as \"es\", not a number \(3\)",
            ),
            ({"lang": "en", "sentence": ["a"]}, r"'sentence' must be a string, not a list"),
            ({"lang": "en", "sentence": "a", "pos": ["X"]}, r"'pos' needs 'words'"),
            (["en", "a"], r"expected a JSON object"),
        ],
    )
    def test_bad_input(self, line, message):
        with pytest.raises(ConfigurationError, match=r"^input: " + message):
            self.predictor.predict_json(line)

    def test_load_line_names_the_input_line(self):
        self.predictor._lines_read = 0
        assert self.predictor.load_line('{"lang": "en", "words": ["a"]}\n')["words"] == ["a"]
        with pytest.raises(ConfigurationError, match=r"^input line 2: not valid JSON \(Expecting"):
            self.predictor.load_line('{"lang": "en", "words": ["a"\n')
        with pytest.raises(ConfigurationError, match=r"^input line 3: 'words' must be a list"):
            self.predictor.load_line('{"lang": "en", "words": "a b"}\n')
        with pytest.raises(ConfigurationError, match=r"^input line 4: expected a JSON object"):
            self.predictor.load_line("42\n")
