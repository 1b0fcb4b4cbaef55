from allennlp_multilang_elmo.data.token_indexers.elmo_characters_multilang_indexer import (
    ELMoTokenCharactersMultiLangIndexer,
)
