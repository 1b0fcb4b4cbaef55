from typing import Dict, List, Optional

from allennlp.modules.token_embedders.token_embedder import TokenEmbedder

from allennlp_multilang_elmo.modules.token_embedders.elmo_token_embedder_multilang import (
    ElmoTokenEmbedderMultiLang,
)


@TokenEmbedder.register("elmo_token_embedder_multilang_deterministic")
class DeterministicElmoTokenEmbedderMultiLang(ElmoTokenEmbedderMultiLang):
    """
    `elmo_token_embedder_multilang` in deterministic mode: every sentence starts from the same warm
    biLM state (the state after reading a fixed warm-up text) instead of the state carried from
    earlier batches, so a sentence's representation depends neither on the batch it is in nor on
    the batches before it, and evaluation gives the same scores in any batch order. That makes
    the activations of a frozen biLM a function of the sentence, so they can be cached on disk:
    epochs after the first then skip the biLMs, while dropout, scalar mix, alignment and
    projection still run on every pass.

    Registered as a `TokenEmbedder` with name "elmo_token_embedder_multilang_deterministic".

    # Parameters

    The parameters of `elmo_token_embedder_multilang`, and:

    activation_cache : `str`, optional (default = `None`)
        A folder for the cache of the layer activations the scalar mix reads (one lmdb file for
        all languages; safe with data-loader workers, several processes and killed runs). Keys
        cover the sentence, the language, the weight file's hash and every option that changes
        the activations, so changed weights never serve stale activations. Needs
        `requires_grad = false`.
    cache_half_precision : `bool`, optional (default = `False`)
        Store cached activations as float16: half the disk, at float16 rounding.
    """

    def __init__(
        self,
        options_files: Dict[str, str],
        weight_files: Dict[str, str],
        do_layer_norm: bool = False,
        dropout: float = 0.5,
        requires_grad: bool = False,
        projection_dim: Optional[int] = None,
        vocab_to_cache: Optional[List[str]] = None,
        scalar_mix_parameters: Optional[List[float]] = None,
        aligning_files: Optional[Dict[str, str]] = None,
        activation_cache: Optional[str] = None,
        cache_half_precision: bool = False,
    ) -> None:
        self._engine_options = {
            "deterministic": True,
            "activation_cache": activation_cache,
            "cache_half_precision": cache_half_precision,
        }
        super().__init__(
            options_files,
            weight_files,
            do_layer_norm=do_layer_norm,
            dropout=dropout,
            requires_grad=requires_grad,
            projection_dim=projection_dim,
            vocab_to_cache=vocab_to_cache,
            scalar_mix_parameters=scalar_mix_parameters,
            aligning_files=aligning_files,
        )
