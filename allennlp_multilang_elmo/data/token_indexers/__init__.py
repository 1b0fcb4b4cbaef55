from allennlp_multilang_elmo.data.token_indexers.cached_elmo_characters_indexer import (
    CachedELMoTokenCharactersIndexer,
)
from allennlp_multilang_elmo.data.token_indexers.elmo_characters_multilang_indexer import (
    ELMoTokenCharactersMultiLangIndexer,
)
