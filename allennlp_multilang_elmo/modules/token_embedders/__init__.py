from allennlp_multilang_elmo.modules.token_embedders import (
    deterministic_elmo_token_embedder_multilang as _deterministic,
)
from allennlp_multilang_elmo.modules.token_embedders.elmo_token_embedder_multilang import (
    ElmoTokenEmbedderMultiLang,
)

DeterministicElmoTokenEmbedderMultiLang = _deterministic.DeterministicElmoTokenEmbedderMultiLang
