import logging

import pytest
from allennlp.data import Tokenizer

from allennlp_multilang_elmo.data.tokenizers.language_rules_tokenizer import (
    LanguageRulesTokenizer,
)

FRENCH = "Ouvrez l'imprimante, puis cliquez sur OK. C'est fait !"


def test_language_rules_split_elisions_and_punctuation():
    assert LanguageRulesTokenizer("fr").words(FRENCH) == [
        "Ouvrez", "l'", "imprimante", ",", "puis", "cliquez", "sur", "OK", ".",
        "C'", "est", "fait", "!",
    ]  # fmt: skip


def test_words_never_hold_whitespace():
    # spaCy's Spanish exceptions make `EE. UU.` one token.
    assert LanguageRulesTokenizer("es").words("Los EE. UU. y\u00a0Canadá") == [
        "Los", "EE.", "UU.", "y", "Canadá",
    ]  # fmt: skip


def test_pretokenized_text_is_split_at_whitespace_only():
    tokenizer = LanguageRulesTokenizer("fr", pretokenized=True)
    assert tokenizer.words("  l'imprimante ,\tOK.  ") == ["l'imprimante", ",", "OK."]
    assert [token.text for token in tokenizer.tokenize("a  b")] == ["a", "b"]


def test_paragraphs_are_split_into_sentences():
    assert LanguageRulesTokenizer("fr").split_sentences(FRENCH) == [
        "Ouvrez l'imprimante, puis cliquez sur OK.",
        "C'est fait !",
    ]
    pretokenized = LanguageRulesTokenizer("fr", pretokenized=True)
    assert pretokenized.split_sentences("Il dort .  Elle mange !") == [
        "Il dort .",
        "Elle mange !",
    ]
    assert LanguageRulesTokenizer("fr").split_sentences("   ") == []
    # Opening marks after a sentence end begin the next sentence.
    assert LanguageRulesTokenizer("es").split_sentences("Sí. ¿Dónde? «Aquí.» (Bien.)") == [
        "Sí.",
        "¿Dónde?",
        "«Aquí.»",
        "(Bien.)",
    ]


def test_unknown_codes_fall_back_to_the_base_code_then_to_multi_language_rules(caplog):
    # `pt-br` has Portuguese rules: "d'" is no elision there, but "Não" stays one word.
    assert LanguageRulesTokenizer("pt-br").words("Não é isso.") == ["Não", "é", "isso", "."]
    with caplog.at_level(logging.WARNING):
        assert LanguageRulesTokenizer("qqq").words("one two.") == ["one", "two", "."]
    assert "spaCy has no rules for 'qqq'" in caplog.text


def test_registered_for_configs():
    tokenizer = Tokenizer.by_name("language_rules")(language="de", pretokenized=True)
    assert isinstance(tokenizer, LanguageRulesTokenizer) and tokenizer.pretokenized


@pytest.mark.parametrize("language", ["en", "de", "es", "fr", "it", "pt", "sv"])
def test_the_paper_languages_have_rules(language, caplog):
    with caplog.at_level(logging.WARNING):
        assert LanguageRulesTokenizer(language).words("OK, Calc.") == ["OK", ",", "Calc", "."]
    assert "no rules" not in caplog.text
