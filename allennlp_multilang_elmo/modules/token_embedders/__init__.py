from allennlp_multilang_elmo.modules.token_embedders.elmo_token_embedder_multilang import (
    ElmoTokenEmbedderMultiLang,
)
from allennlp_multilang_elmo.modules.token_embedders.deterministic_elmo_token_embedder_multilang import (
    DeterministicElmoTokenEmbedderMultiLang,
)
