import pytest
import torch
from allennlp.common import Params
from allennlp.data import Token, Vocabulary
from allennlp.data.token_indexers import ELMoTokenCharactersIndexer, TokenIndexer

from allennlp_multilang_elmo.data.token_indexers import CachedELMoTokenCharactersIndexer

# Sentence boundaries, accents, a word longer than ELMo's 48 bytes, a repeated word, an added token.
WORDS = ["<S>", "Él", "duerme", "ünïcödé", "x" * 60, "duerme", "@@NUM@@", "</S>"]


@pytest.mark.parametrize("tokens_to_add", [None, {"@@NUM@@": 5}])
def test_same_ids_and_tensors_as_elmo_characters(tokens_to_add):
    vocabulary = Vocabulary()
    tokens = [Token(word) for word in WORDS]
    stock = ELMoTokenCharactersIndexer(tokens_to_add=tokens_to_add)
    params = {"type": "elmo_characters_cached", "tokens_to_add": tokens_to_add}
    cached = TokenIndexer.from_params(Params(params))
    assert isinstance(cached, CachedELMoTokenCharactersIndexer)
    for _ in range(2):  # the second time from the cache
        indexed = cached.tokens_to_indices(tokens, vocabulary)
        expected = stock.tokens_to_indices(tokens, vocabulary)
        assert indexed == expected
        # Padded beyond the sentence and cut short of it.
        for length in (len(WORDS) + 3, 3):
            padding = {"elmo_tokens": length}
            got = cached.as_padded_tensor_dict(indexed, padding)["elmo_tokens"]
            wanted = stock.as_padded_tensor_dict(expected, padding)["elmo_tokens"]
            assert got.dtype == wanted.dtype == torch.long
            assert torch.equal(got, wanted)
    # No positions: (0, 50), where AllenNLP's list conversion gives a tensor of shape (0,).
    assert cached.as_padded_tensor_dict(indexed, {"elmo_tokens": 0})["elmo_tokens"].shape == (0, 50)
    empty = cached.get_empty_token_list()
    tensor = cached.as_padded_tensor_dict(empty, {"elmo_tokens": 2})["elmo_tokens"]
    assert torch.equal(tensor, torch.zeros(2, 50, dtype=torch.long))
