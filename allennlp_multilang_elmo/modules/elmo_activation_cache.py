"""
On-disk cache of frozen ELMo layer activations, per (language, sentence), for deterministic mode,
where a sentence's activations depend on nothing but the sentence and the biLM.
"""

import hashlib
import io
import json
import logging
import os
from typing import Dict, List, Optional, Sequence

import numpy
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
    The activations of the layers a scalar mix reads, one entry per sentence (a `.npy` array), in
    an lmdb file opened through AllenNLP's `TensorCache` (which lets several processes share it).
    A batch's entries are read in one transaction and written in one, so a killed run leaves
    whole batches or nothing.

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
        by row, read in one transaction.
        """
        found = {}
        with self._cache.lmdb_env.begin(write=False) as transaction:
            for row, (key, positions) in enumerate(zip(keys, num_positions)):
                buffer = transaction.get(key.encode())
                if buffer is None:
                    continue
                value = _from_bytes(buffer)
                # A foreign, colliding or damaged entry is recomputed, never misused.
                if value is not None and value.shape == (len(self.layers), positions, dim):
                    found[row] = torch.from_numpy(value).float()
        return found

    def put(self, entries: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """
        Stores sentences' activations, all in one transaction (a killed run leaves all of them or
        none); returns them as they will be read back.
        """
        stored = {
            key: value.detach().cpu().to(self._dtype).numpy() for key, value in entries.items()
        }
        with self._cache.lmdb_env.begin(write=True) as transaction:
            for key, value in stored.items():
                transaction.put(key.encode(), _to_bytes(value))
        before = self.written
        self.written += len(stored)
        if self.written // 1000 > before // 1000:
            logger.info("ELMo activation cache %s: %s", self.path, self.size())
        return {key: torch.from_numpy(value).float() for key, value in stored.items()}


def _to_bytes(array: numpy.ndarray) -> bytes:
    buffer = io.BytesIO()
    numpy.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _from_bytes(buffer: bytes) -> Optional[numpy.ndarray]:
    # Only a .npy array is accepted: a plain header and the numbers, nothing unpickled. Anything
    # else (an .npz archive, a truncated or foreign value) reads as a miss.
    if not buffer.startswith(numpy.lib.format.MAGIC_PREFIX):
        return None
    try:
        return numpy.lib.format.read_array(io.BytesIO(buffer), allow_pickle=False)
    except (ValueError, EOFError, OSError):
        return None
