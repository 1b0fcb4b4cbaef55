from copy import copy
from typing import Dict, List, Optional

import numpy
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data.token_indexers.token_indexer import IndexedTokenList, TokenIndexer
from allennlp.data.tokenizers import Token
from allennlp.data.vocabulary import Vocabulary

from allennlp_multilang_elmo.common.language_codes import (
    LANGUAGE_CODE_LENGTH,
    check_language,
    encode_language,
)
from allennlp_multilang_elmo.data.token_indexers.cached_elmo_characters_indexer import (
    CachedELMoTokenCharactersIndexer,
    padded_rows,
)


@TokenIndexer.register("elmo_characters_multilang")
class ELMoTokenCharactersMultiLangIndexer(CachedELMoTokenCharactersIndexer):
    """
    AllenNLP's `elmo_characters` indexer (as `elmo_characters_cached`) that also emits the
    instance's language, so that the language reaches `elmo_token_embedder_multilang` through the
    batch, with any model (e.g. the stock `biaffine_parser`) and with batches that mix languages.
    Its output is `{"elmo_tokens": (timesteps, 50) character ids, "lang": (timesteps, 16) language
    code bytes}`, which `BasicTextFieldEmbedder` passes to the embedder as
    `forward(elmo_tokens=..., lang=...)`. The language is repeated for every token (and all zeros
    for padding) so that AllenNLP's `get_text_field_mask`, which may pick either tensor, still
    finds the right mask.

    The language does not come from the vocabulary: the dataset reader binds it per instance (see
    `for_language`, used by `universal_dependencies_multilang`'s `apply_token_indexers`), so
    languages never seen in training work after archive loading.

    Registered as a `TokenIndexer` with name "elmo_characters_multilang".

    # Parameters

    language : `str`, optional (default = `None`)
        The language of every instance, for readers that do not bind one per instance.
    namespace : `str`, optional (default = `"elmo_characters"`)
    tokens_to_add : `Dict[str, int]`, optional (default = `None`)
        As for `elmo_characters`.
    token_min_padding_length : `int`, optional (default = `0`)
        See `TokenIndexer`.
    """

    def __init__(
        self,
        language: Optional[str] = None,
        namespace: str = "elmo_characters",
        tokens_to_add: Optional[Dict[str, int]] = None,
        token_min_padding_length: int = 0,
    ) -> None:
        super().__init__(namespace, tokens_to_add, token_min_padding_length)
        self._language = check_language(language) if language is not None else None

    @property
    def language(self) -> Optional[str]:
        return self._language

    def for_language(self, language: str) -> "ELMoTokenCharactersMultiLangIndexer":
        """A copy of this indexer (sharing its character mapper) that tags tokens as `language`."""
        bound = copy(self)
        bound._language = check_language(language)
        return bound

    def get_empty_token_list(self) -> IndexedTokenList:
        return {"elmo_tokens": [], "lang": []}

    def tokens_to_indices(self, tokens: List[Token], vocabulary: Vocabulary) -> IndexedTokenList:
        if self._language is None:
            raise ConfigurationError(
                "elmo_characters_multilang does not know the language of this instance: read it "
                "with the universal_dependencies_multilang reader (which binds each instance's "
                "language) or set the indexer's `language`"
            )
        indexed = super().tokens_to_indices(tokens, vocabulary)
        indexed["lang"] = [encode_language(self._language)] * len(tokens)
        return indexed

    def as_padded_tensor_dict(
        self, tokens: IndexedTokenList, padding_lengths: Dict[str, int]
    ) -> Dict[str, torch.Tensor]:
        tensors = super().as_padded_tensor_dict(tokens, padding_lengths)
        # An empty field (padding in a ListField) has no language: all zeros, like its characters.
        tensors["lang"] = padded_rows(
            tokens["lang"], padding_lengths["elmo_tokens"], LANGUAGE_CODE_LENGTH, numpy.uint8
        )
        return tensors
