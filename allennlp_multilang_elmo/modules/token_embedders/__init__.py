from allennlp_multilang_elmo.modules.token_embedders.elmo_token_embedder_multilang import (
    DeterministicElmoTokenEmbedderMultiLang,
    ElmoTokenEmbedderMultiLang,
    multilang_embedders,
)
