import ctypes
from typing import Dict, List, Optional, Union, cast

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.common.util import int_to_device
from allennlp.modules.elmo import _ElmoBiLm, batch_to_ids
from allennlp.nn.util import add_sentence_boundary_token_ids

from allennlp_multilang_elmo.modules.elmo_bilstm import ElmoBiLstm
from allennlp_multilang_elmo.modules.elmo_character_encoder import ElmoCharacterEncoder
from allennlp_multilang_elmo.modules.elmo_weights import read_elmo_options, read_elmo_weights

# What the biLM reads before every sentence in deterministic mode: a sentence end, as between
# sentences of the token stream bilm-tf was trained on, instead of the zero state it never saw.
WARM_UP_SENTENCES = [["."], ["."]]


def _release_freed_memory() -> None:
    # The file's arrays were copied into parameters and freed, but glibc keeps large freed blocks
    # for reuse; hand them back so that a biLM costs about its weight bytes of resident memory.
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _frozen_names(module: torch.nn.Module, prefix: str) -> List[str]:
    return [prefix + name for name, p in module.named_parameters() if not p.requires_grad]


def _drop_frozen_weights(module, state_dict, prefix, local_metadata) -> None:
    for name in _frozen_names(module, prefix):
        state_dict.pop(name, None)


def _remember_prefix(module, state_dict, prefix, *args) -> None:
    module._state_dict_prefix = prefix


def _allow_missing_frozen_weights(module, incompatible_keys) -> None:
    frozen = set(_frozen_names(module, module._state_dict_prefix))
    incompatible_keys.missing_keys[:] = [
        key for key in incompatible_keys.missing_keys if key not in frozen
    ]


class ElmoBiLm(torch.nn.Module):
    _bos_embedding: torch.Tensor
    _eos_embedding: torch.Tensor

    """
    A pre-trained bilm-tf ELMo biLM with the inputs and outputs of AllenNLP's `_ElmoBiLm`, and the
    same numbers (AllenNLP's math, statefulness included), computed faster: see
    `ElmoCharacterEncoder` and `ElmoBiLstm`. It reads the options and the weight file once, checks
    them, and builds its parameters straight from the file's arrays.

    # Parameters

    options_file : `str`
        The bilm-tf `options.json` (path or URL).
    weight_file : `str`
        The bilm-tf hdf5 weights (path or URL).
    requires_grad : `bool`, optional (default = `False`)
        Whether the biLM's weights are trained.
    vocab_to_cache : `List[str]`, optional (default = `None`)
        Words whose character-CNN encodings are computed once; `forward` then accepts their ids
        (index into this list) as `word_inputs`, as in AllenNLP.
    language : `str`, optional (default = `None`)
        Named in errors about the files.
    """

    def __init__(
        self,
        options_file: str,
        weight_file: str,
        requires_grad: bool = False,
        vocab_to_cache: Optional[List[str]] = None,
        language: Optional[str] = None,
    ) -> None:
        super().__init__()
        options = read_elmo_options(options_file, language)
        weights = read_elmo_weights(weight_file, options, language)
        self._token_encoder = ElmoCharacterEncoder(options, weights, requires_grad)
        self._lstm = ElmoBiLstm(options, weights, requires_grad)
        del weights
        _release_freed_memory()
        self.num_layers = self._lstm.num_layers + 1
        self._word_embedding: Optional[torch.nn.Embedding] = None
        if vocab_to_cache:
            self._cache_words(vocab_to_cache, requires_grad)
        if not requires_grad:
            # Frozen weights come from the weight file at construction; state dicts (checkpoints,
            # archives) need not repeat them, and loading one without them is complete.
            self.register_state_dict_post_hook(_drop_frozen_weights)
            self.register_load_state_dict_pre_hook(_remember_prefix)
            self.register_load_state_dict_post_hook(_allow_missing_frozen_weights)
            self._state_dict_prefix = ""

    def get_output_dim(self) -> int:
        return 2 * self._token_encoder.get_output_dim()

    def _cache_words(self, words: List[str], requires_grad: bool) -> None:
        # Row 0 is BOS, row 1 EOS, then the words; `word_inputs` index the words. Word 0 pads (its
        # row is zero, as in AllenNLP: vocabularies list their padding token first).
        characters = batch_to_ids([[word] for word in words])[:, 0]
        boundaries = torch.stack(
            [self._token_encoder.bos_characters, self._token_encoder.eos_characters]
        )
        with torch.no_grad():
            encoded = self._token_encoder.encode_tokens(torch.cat([boundaries, characters]))
        self.register_buffer("_bos_embedding", encoded[0], persistent=False)
        self.register_buffer("_eos_embedding", encoded[1], persistent=False)
        encoded[2] = 0.0
        self._word_embedding = torch.nn.Embedding.from_pretrained(
            encoded[2:], freeze=not requires_grad, padding_idx=0
        )

    def deterministic(self, on: bool = True) -> None:
        """
        In deterministic mode every sentence starts from the same warm state (the state after
        reading `WARM_UP_SENTENCES` from zeros), so its representation depends neither on the batch
        it is in nor on earlier batches. Off (the default), the state carries over between batches
        as in AllenNLP and bilm-tf.
        """
        self._lstm.use_fixed_initial_state(None)
        if on:
            with torch.no_grad():
                for sentence in WARM_UP_SENTENCES:
                    self(batch_to_ids([sentence]).to(self._token_encoder.char_embedding.device))
            hidden, memory = self._lstm._states  # type: ignore[misc]
            self._lstm.use_fixed_initial_state((hidden.detach().clone(), memory.detach().clone()))

    def reset_states(self) -> None:
        """Forgets the carried state: the next batch starts from zeros (or the warm state)."""
        self._lstm.reset_states()

    def carried_state(self) -> Optional[Dict[str, torch.Tensor]]:
        """The state carried to the next batch (`None` before the first one), for checkpoints."""
        states = self._lstm._states
        if states is None or not self._lstm.stateful:
            return None
        return {"hidden": states[0].clone(), "memory": states[1].clone()}

    def restore_carried_state(self, state: Optional[Dict[str, torch.Tensor]]) -> None:
        """Continues from a state saved by `carried_state`."""
        if state is None:
            self._lstm.reset_states()
        else:
            device = self._token_encoder.char_embedding.device
            self._lstm._states = (state["hidden"].to(device), state["memory"].to(device))

    def forward(
        self,
        inputs: torch.Tensor,
        word_inputs: Optional[torch.Tensor] = None,
        num_layers: Optional[int] = None,
    ) -> Dict[str, Union[torch.Tensor, List[torch.Tensor]]]:
        """
        # Parameters

        inputs : `torch.Tensor`
            Shape `(batch_size, timesteps, 50)` of character ids.
        word_inputs : `torch.Tensor`, optional (default = `None`)
            Shape `(batch_size, timesteps)` ids of words in `vocab_to_cache`.
        num_layers : `int`, optional (default = all)
            Compute only the lowest `num_layers` layers (the character layer counts as one); the
            others are returned as zeros, for a scalar mix whose weights for them are exactly 0.

        # Returns

        `Dict[str, Union[torch.Tensor, List[torch.Tensor]]]`, as AllenNLP's `_ElmoBiLm`:
        `"activations"`, one `(batch_size, timesteps + 2, output_dim)` tensor per layer, and
        `"mask"`, `(batch_size, timesteps + 2)`; both include sentence boundaries.
        """
        num_layers = self.num_layers if num_layers is None else num_layers
        type_representation: Optional[torch.Tensor] = None
        if self._word_embedding is not None and word_inputs is not None:
            vocab_size = self._word_embedding.num_embeddings
            in_vocabulary = word_inputs.numel() == 0 or (
                0 <= int(word_inputs.min()) and int(word_inputs.max()) < vocab_size
            )
            if in_vocabulary:
                type_representation, mask = add_sentence_boundary_token_ids(
                    self._word_embedding(word_inputs),
                    cast(torch.BoolTensor, word_inputs > 0),
                    self._bos_embedding,
                    self._eos_embedding,
                )
        if type_representation is None:
            # Ids outside the cached vocabulary fall back to the characters, as in AllenNLP.
            characters, mask = add_sentence_boundary_token_ids(
                inputs,
                cast(torch.BoolTensor, (inputs > 0).any(dim=-1)),
                self._token_encoder.bos_characters,
                self._token_encoder.eos_characters,
            )
            type_representation = self._token_encoder(characters)
        activations = [torch.cat([type_representation] * 2, dim=-1) * mask.unsqueeze(-1)]
        if num_layers > 1:
            activations.extend(self._lstm(type_representation, mask, num_layers - 1))
        zeros = activations[0].new_zeros(()).expand_as(activations[0])
        activations.extend([zeros] * (self.num_layers - len(activations)))
        return {"activations": activations, "mask": mask}


BILM_ENGINES = ("engine", "allennlp")
"""
The implementations `build_bilm` can build: `engine` (`ElmoBiLm`, the default) or `allennlp`
(AllenNLP's own `_ElmoBiLm`, to check a difference against upstream).
"""


class _AllenNlpBiLm(_ElmoBiLm):
    """AllenNLP's `_ElmoBiLm` with the engine's `forward` signature; it computes every layer."""

    def forward(
        self,
        inputs: torch.Tensor,
        word_inputs: Optional[torch.Tensor] = None,
        num_layers: Optional[int] = None,
    ) -> Dict[str, Union[torch.Tensor, List[torch.Tensor]]]:
        return super().forward(inputs, word_inputs)  # type: ignore[arg-type]


BiLm = Union[ElmoBiLm, _AllenNlpBiLm]
"""What `build_bilm` returns."""


def build_bilm(
    options_file: str,
    weight_file: str,
    engine: str = "engine",
    requires_grad: bool = False,
    vocab_to_cache: Optional[List[str]] = None,
    language: Optional[str] = None,
    deterministic: bool = False,
    cuda_device: int = -1,
) -> "BiLm":
    """
    A language's biLM, as the embedder, `elmo-anchors`, `elmo-embed` and the aligners use it:
    `forward(character_ids, word_inputs=None, num_layers=None)` returns `{"activations": [one
    (batch_size, timesteps + 2, dim) tensor per layer], "mask": (batch_size, timesteps + 2)}`,
    with sentence boundaries; it has `num_layers` and `get_output_dim()`.

    # Parameters

    engine : `str`, optional (default = `"engine"`)
        One of `BILM_ENGINES`.
    requires_grad, vocab_to_cache, language
        As for `ElmoBiLm`.
    deterministic : `bool`, optional (default = `False`)
        Every sentence starts from the same warm state (see `ElmoBiLm.deterministic`); needs the
        engine.
    cuda_device : `int`, optional (default = `-1`)
        The GPU to put the biLM on; -1 keeps it on the CPU.
    """
    device = int_to_device(cuda_device)
    if engine not in BILM_ENGINES:
        raise ConfigurationError(f"bilm_engine {engine!r}: use one of {', '.join(BILM_ENGINES)}")
    if engine == "allennlp":
        if deterministic:
            raise ConfigurationError("Deterministic mode needs bilm_engine 'engine'")
        return _AllenNlpBiLm(
            options_file,
            weight_file,
            requires_grad,
            vocab_to_cache,  # type: ignore[arg-type]
        ).to(device)
    bilm = ElmoBiLm(options_file, weight_file, requires_grad, vocab_to_cache, language).to(device)
    if deterministic:
        bilm.deterministic(True)
    return bilm
