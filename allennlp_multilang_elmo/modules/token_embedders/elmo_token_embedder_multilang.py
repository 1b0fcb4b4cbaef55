from typing import Dict, Iterator, List, Optional, Sequence, Union, cast

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.modules.token_embedders.token_embedder import TokenEmbedder

from allennlp_multilang_elmo.common.language_codes import check_language, decode_languages
from allennlp_multilang_elmo.modules.aligned_elmo import AlignedElmo

Languages = Union[str, Sequence[str], torch.Tensor]


@TokenEmbedder.register("elmo_token_embedder_multilang")
class ElmoTokenEmbedderMultiLang(TokenEmbedder):
    """
    Cross-lingual ELMo (Schuster et al., NAACL 2019): one pre-trained biLM per language, each
    followed by its scalar mix, dropout and an alignment that maps the language's space onto a
    shared one, then an optional projection shared by all languages. For each language the result
    equals AllenNLP's `Elmo(options, weights, 1, ...)` followed by the alignment and the projection;
    the biLMs run on this package's engine (`ElmoBiLm`: same numbers, several times faster;
    `bilm_engine: "allennlp"` runs AllenNLP's own instead).

    The language comes with each call, as `lang`:

    - a string, for a batch of one language (a model passes `lang=` through the
      `TextFieldEmbedder`'s kwargs, as the original AllenNLP 0.9 API did), or
    - one language per instance: a list of strings, or the per-token language codes of the
      `elmo_characters_multilang` indexer (see `language_codes`). Then a batch may mix languages,
      and each language's biLM runs on its own instances.

    An alignment file holds either one `(dim, dim)` matrix `W`, applied after the mix as `x @ W.T`
    (the released alignments, made for a fixed one-layer mix), or a `(num_layers, dim, dim)` stack
    that aligns each ELMo layer before the mix (right for a learned mix or one over several
    layers). Alignments are buffers, so archives carry them; frozen biLM weights are parameters
    with `requires_grad=False`, as in `Elmo`.

    Registered as a `TokenEmbedder` with name "elmo_token_embedder_multilang".

    # Parameters

    options_files : `Dict[str, str]`, required.
        The ELMo JSON options file of each language.
    weight_files : `Dict[str, str]`, required.
        The ELMo hdf5 weight file of each language; same languages as `options_files`.
    do_layer_norm : `bool`, optional (default = `False`)
        Should we apply layer normalization (passed to `ScalarMix`)?
    dropout : `float`, optional (default = `0.5`)
        The dropout applied to the mixed ELMo representations, before the alignment.
    requires_grad : `bool`, optional (default = `False`)
        If `True`, the biLMs are fine-tuned.
    projection_dim : `int`, optional (default = `None`)
        If given, a projection to this dimension, shared by all languages, after the alignment.
    vocab_to_cache : `List[str]`, optional (default = `None`)
        Words whose character-CNN embeddings are pre-computed, per language; `forward` then accepts
        their ids as `word_inputs`, as with AllenNLP's `ElmoTokenEmbedder`.
    scalar_mix_parameters : `List[float]`, optional (default = `None`)
        Fixed, pre-softmax layer weights (not trained). The released alignments are per layer,
        so use a one-hot mix such as `[-9e10, 1, -9e10]` (layer 1) with them.
    aligning_files : `Dict[str, str]`, optional (default = `None`)
        The alignment of each language (`torch.save`d tensor or numpy array, e.g. the authors'
        `<lang>_best_mapping.pth` or `allennlp elmo-align`'s output, or `.npy`), after the mix or
        per layer (see above). Languages without one (or with an empty path) use the identity.
    deterministic : `bool`, optional (default = `False`)
        Every sentence starts from the same warm biLM state (the state after reading a fixed
        warm-up text) instead of the state carried from earlier batches, so a sentence's
        representation depends neither on the batch it is in nor on the batches before it, and
        evaluation gives the same scores in any batch order. That makes the activations of a
        frozen biLM a function of the sentence, so they can be cached (`activation_cache`).
    activation_cache : `str`, optional (default = `None`)
        A folder for an on-disk cache of the layer activations the scalar mix reads (one lmdb
        file for all languages; safe with data-loader workers, several processes and killed
        runs): epochs after the first then skip the biLMs, while dropout, scalar mix, alignment
        and projection still run on every pass. Keys cover the sentence, the language, the weight
        file's hash and every option that changes the activations, so changed weights never
        serve stale activations. Needs `deterministic` and `requires_grad = false`.
    cache_half_precision : `bool`, optional (default = `False`)
        Store cached activations as float16: half the disk, at float16 rounding.
    bilm_engine : `str`, optional (default = `"engine"`)
        `"engine"` (this package's `ElmoBiLm`) or `"allennlp"` (AllenNLP's `_ElmoBiLm`, to check
        a difference against upstream; no deterministic mode).
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
        deterministic: bool = False,
        activation_cache: Optional[str] = None,
        cache_half_precision: bool = False,
        bilm_engine: str = "engine",
    ) -> None:
        super().__init__()
        aligning_files = aligning_files or {}
        if not options_files:
            raise ConfigurationError("options_files must name at least one language")
        if set(options_files) != set(weight_files):
            raise ConfigurationError(
                "options_files and weight_files must name the same languages; only in "
                f"options_files: {sorted(set(options_files) - set(weight_files))}, only in "
                f"weight_files: {sorted(set(weight_files) - set(options_files))}"
            )
        unknown = sorted(set(aligning_files) - set(options_files))
        if unknown:
            raise ConfigurationError(
                f"aligning_files names languages without an ELMo: {unknown}; configured "
                f"languages: {sorted(options_files)}"
            )
        self._languages = sorted(check_language(lang) for lang in options_files)

        elmos = {
            lang: AlignedElmo(
                options_files[lang],
                weight_files[lang],
                do_layer_norm=do_layer_norm,
                dropout=dropout,
                requires_grad=requires_grad,
                vocab_to_cache=vocab_to_cache,
                scalar_mix_parameters=scalar_mix_parameters,
                aligning_file=aligning_files.get(lang) or None,
                language=lang,
                deterministic=deterministic,
                activation_cache=activation_cache,
                cache_half_precision=cache_half_precision,
                bilm_engine=bilm_engine,
            )
            for lang in self._languages
        }
        self._elmos = torch.nn.ModuleDict(elmos)
        dims = {lang: elmo.output_dim for lang, elmo in elmos.items()}
        if len(set(dims.values())) > 1:
            raise ConfigurationError(
                "All languages' ELMo models must have the same output dimension to share a space, "
                f"but they have {dims}"
            )
        elmo_dim = self._elmo_dim = dims[self._languages[0]]

        self._projection: Optional[torch.nn.Linear] = None
        if projection_dim:
            self._projection = torch.nn.Linear(elmo_dim, projection_dim)
            self.output_dim = projection_dim
        else:
            self.output_dim = elmo_dim

    @property
    def source_files(self) -> Dict[str, Dict[str, Optional[str]]]:
        """Per language, the options, weight and alignment files it was built from."""
        return {lang: cast(AlignedElmo, elmo).source_files for lang, elmo in self._elmos.items()}

    @property
    def languages(self) -> List[str]:
        return list(self._languages)

    def set_alignment(self, language: str, matrix: Optional[torch.Tensor]) -> None:
        """
        Replaces the alignment of `language`: a `(dim, dim)` or `(num_layers, dim, dim)` matrix
        (see the class docstring), or `None` for the identity, which scores a language "not
        aligned" in a zero-shot table.
        """
        if language not in self._elmos:
            raise ConfigurationError(
                f"No ELMo for language {language!r}; configured languages: "
                f"{', '.join(self._languages)}"
            )
        cast(AlignedElmo, self._elmos[language]).set_alignment(matrix)

    def get_output_dim(self) -> int:
        return self.output_dim

    def forward(
        self, elmo_tokens: torch.Tensor, lang: Languages, word_inputs: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """
        # Parameters

        elmo_tokens : `torch.Tensor`
            Shape `(batch_size, timesteps, 50)` of character ids representing the current batch.
        lang : `Union[str, Sequence[str], torch.Tensor]`
            The language of the whole batch, or of each instance: a list of `batch_size` strings or
            the `(batch_size, timesteps, 16)` language codes of `elmo_characters_multilang`.
        word_inputs : `torch.Tensor`, optional (default = `None`)
            Shape `(batch_size, timesteps)` ids of words in `vocab_to_cache`.

        # Returns

        `torch.Tensor`
            The aligned (and projected) ELMo representations, shape
            `(batch_size, timesteps, embedding_dim)`.
        """
        if isinstance(lang, str):
            representations = self._embed(lang, elmo_tokens, word_inputs)
        else:
            if isinstance(lang, torch.Tensor):
                languages = self._per_instance(lang, elmo_tokens)
            else:
                languages = list(lang)
            representations = self._embed_mixed(languages, elmo_tokens, word_inputs)
        if self._projection is not None:
            representations = self._projection(representations)
        return representations

    def _embed(
        self, language: str, elmo_tokens: torch.Tensor, word_inputs: Optional[torch.Tensor]
    ) -> torch.Tensor:
        if language not in self._elmos:
            raise ConfigurationError(
                f"No ELMo for language {language!r}; configured languages: "
                f"{', '.join(self._languages)}"
            )
        leading_shape, (timesteps, num_characters) = elmo_tokens.shape[:-2], elmo_tokens.shape[-2:]
        if word_inputs is not None:
            word_inputs = word_inputs.reshape(-1, timesteps)
        representations = self._elmos[language](
            elmo_tokens.reshape(-1, timesteps, num_characters), word_inputs
        )
        return representations.reshape(*leading_shape, timesteps, -1)

    @staticmethod
    def _per_instance(codes: torch.Tensor, elmo_tokens: torch.Tensor) -> List[str]:
        if codes.shape[:-1] != elmo_tokens.shape[:-1]:
            raise ConfigurationError(
                f"Language codes of shape {tuple(codes.shape)} do not fit character ids of shape "
                f"{tuple(elmo_tokens.shape)}: expected one code per token"
            )
        if codes.size(-2) == 0:
            return [""] * elmo_tokens.shape[:-2].numel()
        # Every token of an instance carries its language; padding instances carry zeros.
        return decode_languages(codes.select(-2, 0))

    def _embed_mixed(
        self, languages: List[str], elmo_tokens: torch.Tensor, word_inputs: Optional[torch.Tensor]
    ) -> torch.Tensor:
        leading_shape = elmo_tokens.shape[:-2]
        if len(languages) != leading_shape.numel():
            raise ConfigurationError(
                f"Got {len(languages)} languages for a batch of shape {tuple(leading_shape)}"
            )
        timesteps, num_characters = elmo_tokens.shape[-2:]
        flat_tokens = elmo_tokens.reshape(-1, timesteps, num_characters)
        flat_words = word_inputs.reshape(-1, timesteps) if word_inputs is not None else None

        rows_by_language: Dict[str, List[int]] = {}
        for row, language in enumerate(languages):
            rows_by_language.setdefault(language, []).append(row)
        # Rows without a language are empty padding instances: all their characters are 0.
        padding_rows = rows_by_language.pop("", [])
        if padding_rows and bool((flat_tokens[padding_rows] != 0).any()):
            raise ConfigurationError("Some instances have tokens but no language")
        if not rows_by_language:
            # Nothing but padding: zeros of the right shape.
            return flat_tokens.new_zeros(
                (*leading_shape, timesteps, self._elmo_dim), dtype=torch.float
            )

        if len(rows_by_language) == 1 and not padding_rows:
            (language,) = rows_by_language
            representations = self._embed(language, flat_tokens, flat_words)
        else:
            outputs, order = [], []
            for language in sorted(rows_by_language):
                rows = rows_by_language[language]
                index = torch.tensor(rows, device=flat_tokens.device)
                words = flat_words.index_select(0, index) if flat_words is not None else None
                outputs.append(self._embed(language, flat_tokens.index_select(0, index), words))
                order.extend(rows)
            if padding_rows:
                outputs.append(outputs[0].new_zeros((len(padding_rows), *outputs[0].shape[1:])))
                order.extend(padding_rows)
            # Undo the grouping: row `order[i]` of the batch is row `i` of the concatenation.
            inverse = torch.empty(len(order), dtype=torch.long, device=flat_tokens.device)
            inverse[torch.tensor(order, device=flat_tokens.device)] = torch.arange(
                len(order), device=flat_tokens.device
            )
            representations = torch.cat(outputs, dim=0).index_select(0, inverse)
        return representations.reshape(*leading_shape, timesteps, -1)


@TokenEmbedder.register("elmo_token_embedder_multilang_deterministic")
class DeterministicElmoTokenEmbedderMultiLang(ElmoTokenEmbedderMultiLang):
    """
    The former registered name of `elmo_token_embedder_multilang` with `deterministic: true`, kept
    so that configs and archives written with it still load. Takes the same parameters.

    Registered as a `TokenEmbedder` with name "elmo_token_embedder_multilang_deterministic".
    """

    def __init__(self, deterministic: bool = True, **kwargs) -> None:
        super().__init__(deterministic=deterministic, **kwargs)


def multilang_embedders(model: torch.nn.Module) -> Iterator[ElmoTokenEmbedderMultiLang]:
    """Every `elmo_token_embedder_multilang` inside `model`."""
    return (m for m in model.modules() if isinstance(m, ElmoTokenEmbedderMultiLang))
