import pytest
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import Token, Vocabulary
from allennlp.data.fields import TextField
from allennlp.data.token_indexers import ELMoTokenCharactersIndexer, TokenIndexer

from allennlp_multilang_elmo.common.language_codes import decode_languages, encode_language
from allennlp_multilang_elmo.data.token_indexers import ELMoTokenCharactersMultiLangIndexer

WORDS = [Token(w) for w in ["Él", "duerme", "<S>", "ünïcödé"]]


def test_same_character_ids_as_elmo_characters_plus_language():
    vocab = Vocabulary()
    stock = ELMoTokenCharactersIndexer().tokens_to_indices(WORDS, vocab)
    indexer = TokenIndexer.from_params(Params({"type": "elmo_characters_multilang"}))
    indexed = indexer.for_language("es").tokens_to_indices(WORDS, vocab)
    assert indexed["elmo_tokens"] == stock["elmo_tokens"]
    assert indexed["lang"] == [encode_language("es")] * len(WORDS)


def test_binding_leaves_the_configured_indexer_untouched():
    indexer = ELMoTokenCharactersMultiLangIndexer(language="en")
    bound = indexer.for_language("pt-br")
    assert (indexer.language, bound.language) == ("en", "pt-br")
    assert bound._mapper is indexer._mapper


def test_unbound_indexer_names_the_fix():
    with pytest.raises(ConfigurationError, match="universal_dependencies_multilang"):
        ELMoTokenCharactersMultiLangIndexer().tokens_to_indices(WORDS, Vocabulary())


@pytest.mark.parametrize("bad", ["", "a.b", "x" * 17])
def test_bad_language_names(bad):
    with pytest.raises(ConfigurationError):
        ELMoTokenCharactersMultiLangIndexer().for_language(bad)


def test_languages_survive_padding_and_batching():
    vocab = Vocabulary()
    fields = []
    for language, words in [("en", WORDS[:2]), ("zh-hant", WORDS), ("fr", WORDS[:1])]:
        field = TextField(words, {"elmo": ELMoTokenCharactersMultiLangIndexer(language=language)})
        field.index(vocab)
        fields.append(field)
    lengths = {}
    for field in fields:
        for key, value in field.get_padding_lengths().items():
            lengths[key] = max(lengths.get(key, 0), value)
    batch = fields[0].batch_tensors([field.as_tensor(lengths) for field in fields])
    assert batch["elmo"]["elmo_tokens"].shape == (3, 4, 50)
    # One code per token; padding tokens have none, so the codes also give the mask.
    assert batch["elmo"]["lang"].shape == (3, 4, 16)
    assert decode_languages(batch["elmo"]["lang"][:, 0]) == ["en", "zh-hant", "fr"]
    assert decode_languages(batch["elmo"]["lang"][2]) == ["fr", "", "", ""]


def test_empty_token_list_pads_to_no_language():
    indexer = ELMoTokenCharactersMultiLangIndexer(language="en")
    tensors = indexer.as_padded_tensor_dict(indexer.get_empty_token_list(), {"elmo_tokens": 3})
    assert tensors["elmo_tokens"].shape == (3, 50) and tensors["elmo_tokens"].abs().sum() == 0
    assert decode_languages(tensors["lang"]) == ["", "", ""]
