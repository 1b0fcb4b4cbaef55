"""
On-disk cache of frozen ELMo layer activations, per (language, sentence), for deterministic mode,
where a sentence's activations depend on nothing but the sentence and the biLM.
"""

import hashlib
import json
import logging
import os
import warnings
from typing import Dict, List, Sequence

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.common.file_utils import TensorCache, cached_path

from allennlp_multilang_elmo.modules.elmo_bilm import WARM_UP_SENTENCES
from allennlp_multilang_elmo.modules.elmo_weights import weight_file_hash

logger = logging.getLogger(__name__)

# Bump when the engine's numbers change, so that no cache from before is read.
CACHE_FORMAT = 1


class ElmoActivationCache:
    """
    The activations of the layers a scalar mix reads, one entry per sentence, kept in AllenNLP's
    `TensorCache` (lmdb: every entry is written in its own transaction, so a killed run leaves
    whole entries or none, and several processes may share the file).

    An entry's key hashes the sentence's character ids together with everything that changes its
    activations: the language, the weight file's bytes, the options, the stored layers, the
    precision, the deterministic warm-up and the cache format. Changed weights or options thus
    never serve stale activations; they just miss.

    # Parameters

    directory : `str`
        Where the cache file lives (created if needed); one file serves every language.
    language : `str`
        The language of the biLM.
    options_file : `str`
        The biLM's options.
    weight_file : `str`
        The biLM's weights.
    layers : `Sequence[int]`
        The layers stored (those the mix reads).
    half_precision : `bool`, optional (default = `False`)
        Store float16 (half the size; the activations then differ from the biLM's by float16
        rounding, relative 5e-4).
    """

    def __init__(
        self,
        directory: str,
        language: str,
        options_file: str,
        weight_file: str,
        layers: Sequence[int],
        half_precision: bool = False,
    ) -> None:
        if os.path.exists(directory) and not os.path.isdir(directory):
            raise ConfigurationError(f"activation_cache {directory!r} exists and is not a folder")
        os.makedirs(directory, exist_ok=True)
        self.path = os.path.join(directory, "elmo_activations.lmdb")
        self._cache = TensorCache(self.path)
        self.layers = list(layers)
        self._dtype = torch.float16 if half_precision else torch.float32
        with open(cached_path(options_file), "rb") as f:
            options = json.load(f)
        identity = json.dumps(
            {
                "format": CACHE_FORMAT,
                "language": language,
                "weights": weight_file_hash(weight_file),
                "options": options,
                "layers": self.layers,
                "dtype": str(self._dtype),
                "warm_up": WARM_UP_SENTENCES,
            },
            sort_keys=True,
        )
        self._prefix = hashlib.sha256(identity.encode()).hexdigest()[:32]
        self.written = 0
        logger.info("ELMo activation cache %s (%s): %s", self.path, language, self.size())

    def size(self) -> str:
        stat = self._cache.lmdb_env.stat()
        used = stat["psize"] * (stat["leaf_pages"] + stat["branch_pages"] + stat["overflow_pages"])
        return f"{stat['entries']} sentences, {used / 2**20:.1f} MiB"

    def key(self, characters: torch.Tensor) -> str:
        """The key of one sentence, given its `(num_tokens, 50)` character ids (no padding)."""
        digest = hashlib.sha256(characters.to(torch.int16).cpu().numpy().tobytes()).hexdigest()
        return f"{self._prefix}-{digest[:40]}"

    def lookup(
        self, keys: List[str], num_positions: List[int], dim: int
    ) -> Dict[int, torch.Tensor]:
        """
        The stored `(len(layers), num_positions, dim)` activations of the rows that have an entry,
        by row.
        """
        found = {}
        for row, (key, positions) in enumerate(zip(keys, num_positions)):
            if key in self._cache:
                value = self._cache[key]
                # A foreign or colliding entry is recomputed, never misused.
                if value.shape == (len(self.layers), positions, dim):
                    found[row] = value.float()
        return found

    def put(self, key: str, activations: torch.Tensor) -> torch.Tensor:
        """Stores one sentence's activations; returns them as they will be read back."""
        stored = activations.detach().to(self._dtype)
        with warnings.catch_warnings():
            # TensorCache checks sizes through the deprecated `Tensor.storage()`.
            warnings.filterwarnings("ignore", message="TypedStorage is deprecated")
            self._cache[key] = stored
        self.written += 1
        if self.written % 1000 == 0:
            logger.info("ELMo activation cache %s: %s", self.path, self.size())
        return stored.float()
