import os

import pytest
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import DatasetReader, Vocabulary
from allennlp.models import Model

from allennlp_multilang_elmo.predictors import BiaffineDependencyParserMultiLangPredictor
from allennlp_multilang_elmo.testing import write_multilang_elmo
from allennlp_multilang_elmo.testing.demo_config import REPO_ROOT, demo_config

FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "ud_multilang")


@pytest.fixture(scope="module")
def predictor(tmp_path_factory) -> BiaffineDependencyParserMultiLangPredictor:
    """An untrained demo parser over all five languages: enough to test input and output."""
    files = write_multilang_elmo(str(tmp_path_factory.mktemp("elmo")), ["en", "de", "fr", "es", "it"])
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
        assert untagged["pos"] == ["X", "X", "X"]
        for output in (tagged, untagged):
            assert len(output["predicted_heads"]) == 3
            assert output["hierplane_tree"]["root"]["word"] in output["words"]

    def test_raw_sentences_use_the_language_rules(self):
        output = self.predictor.predict("L'homme dort.", "fr")
        assert output["words"] == ["L'", "homme", "dort", "."]
        # spaCy has no rules for this code: its multi-language rules split on spaces and punctuation.
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
            ({"lang": "en"}, r"needs 'words' or 'sentence'"),
            ({"lang": "en", "words": []}, r"Nothing to parse"),
            ({"lang": "en", "words": ["a", "b"], "pos": ["DET"]}, r"'pos' has 1 tags for 2 words"),
            ({"lang": "sv", "words": ["Hej"]}, r"No ELMo for language 'sv'; configured languages: de, en, es, fr, it"),
        ],
    )
    def test_bad_input(self, line, message):
        with pytest.raises(ConfigurationError, match=message):
            self.predictor.predict_json(line)
