import logging
from typing import List, Optional, Tuple, cast

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.modules.scalar_mix import ScalarMix
from allennlp.nn.util import remove_sentence_boundaries

from allennlp_multilang_elmo.modules.alignment_matrix import align, load_alignment_matrix
from allennlp_multilang_elmo.modules.elmo_activation_cache import ElmoActivationCache
from allennlp_multilang_elmo.modules.elmo_bilm import build_bilm

logger = logging.getLogger(__name__)


class AlignedElmo(torch.nn.Module):
    """
    One language's ELMo in the shared space: its biLM, then the scalar mix, boundary removal and
    dropout of AllenNLP's `Elmo` (the same numbers), and the language's alignment. An alignment is
    either one `(dim, dim)` matrix applied after the mix (the released alignments, for a fixed
    one-layer mix) or a `(num_layers, dim, dim)` stack applied to each layer before the mix (correct
    for any mix). With a fixed mix, layers whose weight is exactly zero are neither computed nor
    aligned: their contribution is exactly zero anyway.

    # Parameters

    options_file : `str`
        The bilm-tf options file.
    weight_file : `str`
        The bilm-tf hdf5 weight file.
    do_layer_norm : `bool`, optional (default = `False`)
        Passed to `ScalarMix`.
    dropout : `float`, optional (default = `0.5`)
        Dropout on the mixed representation, before an after-mix alignment.
    requires_grad : `bool`, optional (default = `False`)
        Whether the biLM is fine-tuned.
    vocab_to_cache : `List[str]`, optional (default = `None`)
        Words whose character encodings are computed once (see `ElmoBiLm`).
    scalar_mix_parameters : `List[float]`, optional (default = `None`)
        Fixed pre-softmax layer weights; `None` learns them.
    aligning_file : `str`, optional (default = `None`)
        The language's alignment; `None` is the identity.
    language : `str`, optional (default = `None`)
        Named in errors and in cache keys.
    deterministic : `bool`, optional (default = `False`)
        Every sentence starts from the same warm biLM state instead of the state carried from
        earlier batches (see `ElmoBiLm.deterministic`).
    activation_cache : `str`, optional (default = `None`)
        A folder for an `ElmoActivationCache` of the layers the mix reads; needs `deterministic`
        and a frozen biLM.
    cache_half_precision : `bool`, optional (default = `False`)
        Store cached activations as float16.
    bilm_engine : `str`, optional (default = `"engine"`)
        Which biLM implementation runs (see `build_bilm`).
    """

    def __init__(
        self,
        options_file: str,
        weight_file: str,
        do_layer_norm: bool = False,
        dropout: float = 0.5,
        requires_grad: bool = False,
        vocab_to_cache: Optional[List[str]] = None,
        scalar_mix_parameters: Optional[List[float]] = None,
        aligning_file: Optional[str] = None,
        language: Optional[str] = None,
        deterministic: bool = False,
        activation_cache: Optional[str] = None,
        cache_half_precision: bool = False,
        bilm_engine: str = "engine",
    ) -> None:
        super().__init__()
        # Where the files came from, for copying them into archives.
        self.source_files = {
            "options_files": options_file,
            "weight_files": weight_file,
            "aligning_files": aligning_file,
        }
        self._bilm = build_bilm(
            options_file,
            weight_file,
            bilm_engine,
            requires_grad,
            vocab_to_cache,
            language,
            deterministic,
        )
        self._language = language
        self._has_cached_vocab = bool(vocab_to_cache)
        num_layers: int = self._bilm.num_layers
        self.num_layers = num_layers
        self.scalar_mix = ScalarMix(
            num_layers,
            do_layer_norm=do_layer_norm,
            initial_scalar_parameters=scalar_mix_parameters,  # type: ignore[arg-type]
            trainable=scalar_mix_parameters is None,
        )
        self._layers_to_run = max(self._read_layers()) + 1
        self._dropout = torch.nn.Dropout(p=dropout)
        self._cache: Optional[ElmoActivationCache] = None
        if activation_cache:
            if not deterministic or requires_grad:
                raise ConfigurationError(
                    "activation_cache needs deterministic mode and a frozen biLM "
                    "(requires_grad = false): otherwise activations depend on more than the "
                    "sentence"
                )
            self._cache = ElmoActivationCache(
                activation_cache,
                language or "",
                options_file,
                weight_file,
                self._read_layers(),
                cache_half_precision,
            )
        self.output_dim: int = self._bilm.get_output_dim()
        self.alignment: Optional[torch.Tensor]
        self.register_buffer("alignment", None)
        if aligning_file:
            self.set_alignment(
                load_alignment_matrix(aligning_file, self.output_dim, language, num_layers)
            )

    @property
    def per_layer_alignment(self) -> bool:
        return self.alignment is not None and self.alignment.dim() == 3

    def set_alignment(self, matrix: Optional[torch.Tensor]) -> None:
        """
        Aligns with `matrix` from now on: `(dim, dim)` after the mix, `(num_layers, dim, dim)` per
        layer, or `None` for the identity (the "not aligned" setting of a zero-shot table).
        """
        if matrix is not None:
            shapes = [(self.output_dim,) * 2, (self.num_layers,) + (self.output_dim,) * 2]
            if tuple(matrix.shape) not in shapes:
                raise ConfigurationError(
                    f"An alignment of shape {tuple(matrix.shape)} does not fit the ELMo of "
                    f"language {self._language!r}: use {shapes[0]} or {shapes[1]}"
                )
            reference = self.scalar_mix.scalar_parameters[0]
            matrix = matrix.to(device=reference.device, dtype=torch.float32)
        self.alignment = matrix

    def _read_layers(self) -> List[int]:
        """The layers the scalar mix reads: all if it is learned, else those of non-zero weight."""
        if self.scalar_mix.scalar_parameters[0].requires_grad:
            return list(range(self.num_layers))
        with torch.no_grad():
            weights = torch.softmax(torch.cat(list(self.scalar_mix.scalar_parameters)), dim=0)
        return torch.nonzero(weights).flatten().tolist()

    @property
    def bilm(self) -> torch.nn.Module:
        return self._bilm

    def forward(
        self, elmo_tokens: torch.Tensor, word_inputs: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """
        # Parameters

        elmo_tokens : `torch.Tensor`
            Shape `(batch_size, timesteps, 50)` of character ids.
        word_inputs : `torch.Tensor`, optional (default = `None`)
            Shape `(batch_size, timesteps)` ids of words in `vocab_to_cache`.

        # Returns

        `torch.Tensor`
            Shape `(batch_size, timesteps, dim)`: aligned representations, zero at padding.
        """
        if word_inputs is not None and not self._has_cached_vocab:
            logger.warning("Word inputs were passed to ELMo but it does not have a cached vocab.")
            word_inputs = None
        if self._cache is not None:
            layers, mask = self._cached_layers(elmo_tokens)
        else:
            output = self._bilm(elmo_tokens, word_inputs, num_layers=self._layers_to_run)
            layers, mask = output["activations"], output["mask"]
        if self.alignment is not None and self.per_layer_alignment:
            layers = [
                align(layer, self.alignment, index) if index < self._layers_to_run else layer
                for index, layer in enumerate(layers)
            ]
        mask = cast(torch.BoolTensor, mask)
        mixed, _ = remove_sentence_boundaries(self.scalar_mix(layers, mask), mask)
        representations = self._dropout(mixed)
        if self.alignment is not None and not self.per_layer_alignment:
            representations = align(representations, self.alignment)
        return representations

    def _cached_layers(self, elmo_tokens: torch.Tensor) -> Tuple[List[torch.Tensor], torch.Tensor]:
        """The biLM's activations and mask, read from the cache where it has them."""
        assert self._cache is not None
        batch_size, timesteps = elmo_tokens.shape[:2]
        lengths = (elmo_tokens > 0).any(dim=-1).sum(dim=-1).tolist()
        positions = [length + 2 for length in lengths]
        keys = [self._cache.key(elmo_tokens[row, :length]) for row, length in enumerate(lengths)]
        found = self._cache.lookup(keys, positions, self.output_dim)
        missing = [row for row in range(batch_size) if row not in found]
        if missing:
            # Deterministic mode: a sentence's activations do not depend on its batch.
            with torch.no_grad():
                output = self._bilm(elmo_tokens[missing], num_layers=self._layers_to_run)
            computed = torch.stack([output["activations"][layer] for layer in self._cache.layers])
            written = self._cache.put(
                {keys[row]: computed[:, i, : positions[row]] for i, row in enumerate(missing)}
            )
            found.update({row: written[keys[row]] for row in missing})
        stored = elmo_tokens.new_zeros(
            (len(self._cache.layers), batch_size, timesteps + 2, self.output_dim), dtype=torch.float
        )
        for row, value in found.items():
            stored[:, row, : positions[row]] = value.to(stored.device)
        layers = [stored[0].new_zeros(()).expand_as(stored[0])] * self.num_layers
        for index, layer in enumerate(self._cache.layers):
            layers[layer] = stored[index]
        steps = torch.arange(timesteps + 2, device=elmo_tokens.device)
        mask = steps.unsqueeze(0) < torch.tensor(positions, device=elmo_tokens.device).unsqueeze(1)
        return layers, mask
