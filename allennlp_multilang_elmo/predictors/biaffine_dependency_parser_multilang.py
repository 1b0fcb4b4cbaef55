import json
import logging
from typing import Any, Dict, List, Optional, Set, cast

from allennlp.common.checks import ConfigurationError
from allennlp.common.util import JsonDict
from allennlp.data import DatasetReader, Instance
from allennlp.data.fields import MetadataField
from allennlp.models import Model
from allennlp.predictors.predictor import Predictor
from allennlp_models.structured_prediction.predictors.biaffine_dependency_parser import (
    BiaffineDependencyParserPredictor,
)

from allennlp_multilang_elmo.data.tokenizers.language_rules_tokenizer import (
    LanguageRulesTokenizer,
)
from allennlp_multilang_elmo.modules.token_embedders import multilang_embedders

logger = logging.getLogger(__name__)

MAX_WORDS = 400
"""
The longest sentence the predictor parses: the MST decoder recurses once per word, and a longer
sentence is far more likely a paragraph without sentence ends.
"""

MISSING_POS = "_"
"""The tag of a word without one (CoNLL-U's empty value): a parser with a tagger uses its own."""

_KEYS = ("lang", "words", "pos", "sentence")


@Predictor.register("biaffine_parser_multilang")
class BiaffineDependencyParserMultiLangPredictor(BiaffineDependencyParserPredictor):
    """
    Predictor for cross-lingual dependency parsers read by `universal_dependencies_multilang`
    (`biaffine_parser_multilang`, or the stock `biaffine_parser` with `elmo_characters_multilang`).

    Each JSON line is an object that names its language and gives either pre-tokenised words
    (recommended: they should be syntactic words, as in the treebank) with optional POS tags, or a
    raw sentence:

    - `{"lang": "es", "words": ["El", "gato", "duerme"], "pos": ["DET", "NOUN", "VERB"]}`
    - `{"lang": "es", "words": ["El", "gato", "duerme", "."]}`
    - `{"lang": "es", "sentence": "El gato duerme."}`

    Raw sentences are split by the project's one tokenisation, the `language_rules` tokenizer for
    the language (spaCy's rules, no model download; unknown languages fall back to spaCy's
    multi-language rules), as the biLM reader split the biLM's training text.

    Words without a tag get `"_"`, and so do tags the model does not know (with a warning, once):
    a `biaffine_parser_multilang` with a POS tagger (`pos_tagger: true`) replaces them by its
    predicted tags; a model without one parses them with its unknown-tag embedding, which it
    hardly saw in training (a warning says so, once).

    Inputs are checked before parsing: a line that is not a JSON object, `lang` that is not a
    configured language's code, `words`/`pos` that are not lists of strings, nulls and numbers
    are refused with a one-line error; under `allennlp predict`, it names the input line (counting
    non-blank lines, as `allennlp predict` skips blank ones).

    The output is the stock `biaffine_dependency_parser` predictor's (`predicted_heads`,
    `predicted_dependencies`, `words`, `pos`, `hierplane_tree`, losses) plus `lang`; with a tagger,
    `pos` holds the tags the parser used and `predicted_pos` the tagger's tags.

    Registered as a `Predictor` with name "biaffine_parser_multilang".
    """

    def __init__(self, model: Model, dataset_reader: DatasetReader) -> None:
        # Not the parent's __init__: it loads spaCy's en_core_web_sm, which means a download.
        Predictor.__init__(self, model, dataset_reader)
        self._tokenizers: Dict[str, LanguageRulesTokenizer] = {}
        self._lines_read = 0
        self._warned: Set[str] = set()
        self._known_pos = set(model.vocab.get_token_to_index_vocabulary("pos")) - {
            model.vocab._padding_token,
            model.vocab._oov_token,
        }
        self._has_tagger = getattr(model, "_pos_tagger_output", None) is not None
        self._languages = _configured_languages(model)

    @property
    def languages(self) -> Optional[List[str]]:
        """The language codes the model can parse (`None` if its embedder does not say)."""
        return self._languages

    def predict(self, sentence: str, lang: str) -> JsonDict:
        """Parses a raw `sentence` in language `lang`."""
        return self.predict_json({"sentence": sentence, "lang": lang})

    def load_line(self, line: str) -> JsonDict:
        """
        Parses and checks one input line of `allennlp predict`; errors name the line (the n-th
        non-blank one).
        """
        self._lines_read += 1
        where = f"input line {self._lines_read}"
        try:
            json_dict = json.loads(line)
        except json.JSONDecodeError as error:
            raise ConfigurationError(f"{where}: not valid JSON ({error})") from None
        self._check(json_dict, where)
        return json_dict

    def _check(self, json_dict: Any, where: str) -> None:
        problem = input_problem(json_dict, self._languages)
        if problem:
            raise ConfigurationError(f"{where}: {problem}")

    def _tokenize(self, sentence: str, language: str) -> List[str]:
        if language not in self._tokenizers:
            self._tokenizers[language] = LanguageRulesTokenizer(language)
        return self._tokenizers[language].words(sentence)

    def _json_to_instance(self, json_dict: JsonDict) -> Instance:
        self._check(json_dict, "input")
        language = json_dict["lang"]
        if "words" in json_dict:
            words = list(json_dict["words"])
        else:
            words = self._tokenize(json_dict["sentence"], language)
            if not words:
                raise ConfigurationError("input: Nothing to parse: 'sentence' has no words")
            if len(words) > MAX_WORDS:
                raise ConfigurationError(
                    f"input: 'sentence' has {len(words)} words, more than the {MAX_WORDS} the "
                    "parser takes: split it into sentences"
                )
        pos = self._pos_tags(json_dict.get("pos"), len(words))
        return self._dataset_reader.text_to_instance(language, words, pos)

    def _pos_tags(self, given: Optional[List[str]], length: int) -> List[str]:
        """The input tags, with `"_"` for missing and unknown ones (warned about once)."""
        if given is None:
            self._warn_once(
                "no-tagger",
                not self._has_tagger,
                "This model has no POS tagger: words without tags are parsed with an "
                "unknown-tag embedding; give 'pos' for good parses",
            )
            return [MISSING_POS] * length
        unknown = sorted(set(given) - self._known_pos - {MISSING_POS})
        self._warn_once(
            "unknown-pos",
            bool(unknown),
            f"POS tags unknown to the model (first seen: {', '.join(unknown)}) are treated as "
            + ("missing: the tagger's tags replace them" if self._has_tagger else "missing"),
        )
        return [tag if tag in self._known_pos else MISSING_POS for tag in given]

    def _warn_once(self, key: str, condition: bool, message: str) -> None:
        if condition and key not in self._warned:
            self._warned.add(key)
            logger.warning(message)

    def predict_instance(self, instance: Instance) -> JsonDict:
        return self.predict_batch_instance([instance])[0]

    def predict_batch_instance(self, instances: List[Instance]) -> List[JsonDict]:
        # The stock parent never applies token indexers (AllenNLP 2.x predictors must); applying
        # them binds each instance's language. The parent adds the hierplane trees (from `pos`:
        # the parser's tags).
        for instance in instances:
            self._dataset_reader.apply_token_indexers(instance)
        outputs = super().predict_batch_instance(instances)
        for instance, output in zip(instances, outputs):
            output["lang"] = cast(MetadataField, instance["metadata"])["lang"]
        return outputs


def input_problem(json_dict: Any, languages: Optional[List[str]] = None) -> Optional[str]:
    """
    What is wrong with one predictor input (see `BiaffineDependencyParserMultiLangPredictor`), in
    one line, or `None`. `languages`, if given, are the codes the model can parse.
    """
    if not isinstance(json_dict, dict):
        example = '{"lang": "es", "words": [...]}'
        return f"expected a JSON object such as {example}, not {_kind(json_dict)}"
    for key in _KEYS:
        if key in json_dict and json_dict[key] is None:
            return f"'{key}' is null; leave it out or give a value"
    language = json_dict.get("lang")
    if language is None:
        return "needs a 'lang' (a language code such as \"es\")"
    if not isinstance(language, str) or not language:
        return f"'lang' must be a language code such as \"es\", not {_kind(language)}"
    if languages is not None and language not in languages:
        return f"no ELMo for language {language!r}; this model has {', '.join(languages)}"
    if "words" in json_dict:
        problem = _string_list_problem("words", json_dict["words"])
        if problem:
            return problem
        if not json_dict["words"]:
            return "Nothing to parse: 'words' is empty"
        if len(json_dict["words"]) > MAX_WORDS:
            return (
                f"'words' has {len(json_dict['words'])} words, more than the {MAX_WORDS} the "
                "parser takes: split it into sentences"
            )
        if "pos" in json_dict:
            problem = _string_list_problem("pos", json_dict["pos"])
            if problem:
                return problem
            if len(json_dict["pos"]) != len(json_dict["words"]):
                return f"'pos' has {len(json_dict['pos'])} tags for {len(json_dict['words'])} words"
    elif "sentence" in json_dict:
        if not isinstance(json_dict["sentence"], str):
            return f"'sentence' must be a string, not {_kind(json_dict['sentence'])}"
        if not json_dict["sentence"].strip():
            return "Nothing to parse: 'sentence' is blank"
        if "pos" in json_dict:
            return "'pos' needs 'words' (a raw 'sentence' is tokenised by the predictor)"
    else:
        return "needs 'words' (a list of strings) or 'sentence' (a string)"
    return None


def _string_list_problem(key: str, value: Any) -> Optional[str]:
    if isinstance(value, str):
        return f"'{key}' must be a list of strings, not a string (give a raw text as 'sentence')"
    if not isinstance(value, list):
        return f"'{key}' must be a list of strings, not {_kind(value)}"
    for position, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            return (
                f"'{key}' must be a list of strings that are not empty or only whitespace; item "
                f"{position} is {_kind(item)}"
            )
    return None


def _kind(value: Any) -> str:
    """How a JSON value is named in messages: its JSON type and (short) value."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"a number ({value})"
    shown = json.dumps(value, ensure_ascii=False)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return f"{names.get(type(value), type(value).__name__)} ({shown})"


def _configured_languages(model: Model) -> Optional[List[str]]:
    """The languages of the model's multilingual ELMo, or `None` if it has none."""
    for embedder in multilang_embedders(model):
        return sorted(embedder.languages)
    return None
