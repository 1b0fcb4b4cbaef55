"""
The project's one tokenisation of raw text. The biLM reader (`bilm_text`), `elmo-anchors`,
`elmo-embed`, `elmo-dictionary` and the predictor (`parse` of raw text) all split text with it, so a
word is the same string in a biLM's vocabulary, its anchors, a dictionary and a parsed sentence:
French `l'imprimante` is `l'` `imprimante` everywhere, never one token in one place and two in
another.
"""

import logging
from typing import List, Optional

import spacy
from allennlp.data.tokenizers import Token, Tokenizer
from spacy.tokens import Doc

logger = logging.getLogger(__name__)

MULTI_LANGUAGE = "xx"
"""spaCy's language-neutral rules, for a language spaCy has no rules for."""


def _blank(language: str) -> spacy.language.Language:
    """
    `spacy.blank` for `language`, else for its base code (`pt` for `pt-br` or `pt_BR`), else the
    multi-language rules (with a warning).
    """
    base = language.replace("_", "-").split("-")[0]
    for code in dict.fromkeys((language, base)):
        try:
            return spacy.blank(code)
        except ImportError:
            continue
    logger.warning(
        "spaCy has no rules for %r; tokenising it with its multi-language rules", language
    )
    return spacy.blank(MULTI_LANGUAGE)


def _opens(token: spacy.tokens.Token) -> bool:
    """Whether `token` is opening punctuation (spaCy does not count Spanish `¿` and `¡`)."""
    return token.is_left_punct or token.text in ("¿", "¡")


@Tokenizer.register("language_rules")
class LanguageRulesTokenizer(Tokenizer):
    """
    Splits raw text into words by spaCy's rule-based tokenizer for `language` (`spacy.blank`: rules
    only, no model to download), or, with `pretokenized`, at whitespace only, for text that is
    already one token per space-separated string. `split_sentences` also cuts a paragraph into
    sentences by spaCy's rule-based sentencizer (after `.`, `!`, `?` and the like).

    Registered as a `Tokenizer` with name "language_rules".

    # Parameters

    language : `str`, optional (default = `"xx"`)
        Whose rules: any language code; one spaCy does not know falls back to its base code
        (`pt` for `pt-br`), then to spaCy's multi-language rules, with a warning.
    pretokenized : `bool`, optional (default = `False`)
        Split at whitespace only (the language is then used for sentence splitting alone).
    """

    def __init__(self, language: str = MULTI_LANGUAGE, pretokenized: bool = False) -> None:
        self.language = language
        self.pretokenized = pretokenized
        self._rules: Optional[spacy.language.Language] = None

    def _nlp(self) -> spacy.language.Language:
        # Built on first use: readers and commands are often made without tokenising anything.
        if self._rules is None:
            self._rules = _blank(self.language)
            self._rules.add_pipe("sentencizer")
        return self._rules

    @property
    def rules(self) -> str:
        """The code of the spaCy rules in use (`"xx"` for a language spaCy has none for)."""
        return str(self._nlp().lang)

    def words(self, text: str) -> List[str]:
        """The words of `text`, in order."""
        if self.pretokenized:
            return text.split()
        # A few of spaCy's exceptions hold a space (Spanish `EE. UU.`): a word never does here,
        # since anchors, dictionaries and pre-tokenised text separate words by whitespace.
        return [part for token in self._nlp().tokenizer(text) for part in token.text.split()]

    def tokenize(self, text: str) -> List[Token]:
        return [Token(word) for word in self.words(text)]

    def split_sentences(self, text: str) -> List[str]:
        """The sentences of the paragraph `text`, each as its stretch of `text`, stripped."""
        nlp = self._nlp()
        doc = Doc(nlp.vocab, words=text.split()) if self.pretokenized else nlp.tokenizer(text)
        starts = [sentence.start for sentence in nlp.get_pipe("sentencizer")(doc).sents]
        # The sentencizer leaves punctuation after a sentence end with that sentence, opening
        # marks too (`sofá. ¿Dónde`): they begin the next one.
        for i in range(1, len(starts)):
            while starts[i] - 1 > starts[i - 1] and _opens(doc[starts[i] - 1]):
                starts[i] -= 1
        spans = (doc[a:b].text.strip() for a, b in zip(starts, starts[1:] + [len(doc)]))
        return [span for span in spans if span]
