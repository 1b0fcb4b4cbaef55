import logging
from typing import Dict, List

import spacy
from allennlp.common.checks import ConfigurationError
from allennlp.common.util import JsonDict
from allennlp.data import DatasetReader, Instance
from allennlp.models import Model
from allennlp.predictors.predictor import Predictor
from allennlp_models.structured_prediction.predictors.biaffine_dependency_parser import (
    BiaffineDependencyParserPredictor,
)

logger = logging.getLogger(__name__)

UNKNOWN_POS = "X"
"""UD's tag for 'other', given to words whose JSON brings no `pos`."""


@Predictor.register("biaffine_parser_multilang")
class BiaffineDependencyParserMultiLangPredictor(BiaffineDependencyParserPredictor):
    """
    Predictor for cross-lingual dependency parsers read by `universal_dependencies_multilang`
    (`biaffine_parser_multilang`, or the stock `biaffine_parser` with `elmo_characters_multilang`).

    Each JSON line names its language and gives either pre-tokenised words (recommended: they should
    be syntactic words, as in the treebank) with optional POS tags, or a raw sentence:

    - `{"lang": "es", "words": ["El", "gato", "duerme", "."], "pos": ["DET", "NOUN", "VERB", "PUNCT"]}`
    - `{"lang": "es", "sentence": "El gato duerme."}`

    Raw sentences are split by spaCy's rule-based tokenizer for the language (`spacy.blank`, which
    needs no model download; unknown languages fall back to spaCy's multi-language rules). Words
    without POS tags get `"X"`; a model trained with a POS embedding parses worse without real tags.

    The output is the stock `biaffine_dependency_parser` predictor's (`predicted_heads`,
    `predicted_dependencies`, `words`, `pos`, `hierplane_tree`, losses) plus `lang`.

    Registered as a `Predictor` with name "biaffine_parser_multilang".
    """

    def __init__(self, model: Model, dataset_reader: DatasetReader) -> None:
        # Not the parent's __init__: it loads spaCy's en_core_web_sm, which means a download.
        Predictor.__init__(self, model, dataset_reader)
        self._tokenizers: Dict[str, spacy.language.Language] = {}

    def predict(self, sentence: str, lang: str) -> JsonDict:  # type: ignore[override]
        """Parses a raw `sentence` in language `lang`."""
        return self.predict_json({"sentence": sentence, "lang": lang})

    def _tokenize(self, sentence: str, language: str) -> List[str]:
        if language not in self._tokenizers:
            try:
                self._tokenizers[language] = spacy.blank(language)
            except ImportError:
                logger.warning("spaCy has no rules for %r; using its multi-language rules", language)
                self._tokenizers[language] = spacy.blank("xx")
        return [token.text for token in self._tokenizers[language](sentence) if not token.is_space]

    def _json_to_instance(self, json_dict: JsonDict) -> Instance:
        language = json_dict.get("lang")
        if not language:
            raise ConfigurationError(f"Each input needs a 'lang': {json_dict}")
        if "words" in json_dict:
            words = list(json_dict["words"])
        elif "sentence" in json_dict:
            words = self._tokenize(json_dict["sentence"], language)
        else:
            raise ConfigurationError(f"Each input needs 'words' or 'sentence': {json_dict}")
        if not words:
            raise ConfigurationError(f"Nothing to parse in {json_dict}")
        pos = list(json_dict.get("pos") or [UNKNOWN_POS] * len(words))
        if len(pos) != len(words):
            raise ConfigurationError(
                f"'pos' has {len(pos)} tags for {len(words)} words in {json_dict}"
            )
        return self._dataset_reader.text_to_instance(language, words, pos)  # type: ignore

    def predict_instance(self, instance: Instance) -> JsonDict:
        return self.predict_batch_instance([instance])[0]

    def predict_batch_instance(self, instances: List[Instance]) -> List[JsonDict]:
        # The parent (with the compat patch, B11) applies the token indexers, which binds each
        # instance's language, and adds the hierplane trees.
        outputs = super().predict_batch_instance(instances)
        for instance, output in zip(instances, outputs):
            output["lang"] = instance["metadata"]["lang"]
        return outputs
