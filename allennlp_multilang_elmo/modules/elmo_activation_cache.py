"""
On-disk cache of frozen ELMo layer activations, per (language, sentence), for deterministic mode,
where a sentence's activations depend on nothing but the sentence and the biLM. A cache can only
save time, never change results: every entry carries a checksum, and a damaged, foreign or
unreadable entry, a damaged store or a folder that cannot be written is computed instead (with one
warning naming the path).
"""

import hashlib
import io
import json
import logging
import os
from typing import Dict, List, Optional, Sequence, Set

import lmdb
import numpy
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.common.file_utils import TensorCache, cached_path

from allennlp_multilang_elmo.common.file_hash import file_hash
from allennlp_multilang_elmo.modules.elmo_bilm import WARM_UP_SENTENCES

logger = logging.getLogger(__name__)

# Bump when the engine's numbers or the entries' format change, so that no older entry is read.
CACHE_FORMAT = 2
_CHECKSUM_BYTES = 16


class ElmoActivationCache:
    """
    The activations of the layers a scalar mix reads, one entry per sentence (a `.npy` array), in
    an lmdb file opened through AllenNLP's `TensorCache` (which lets several processes share it).
    A batch's entries are read in one transaction and written in one, so a killed run leaves
    whole batches or nothing.

    An entry's key hashes the sentence's character ids together with everything that changes its
    activations: the language, the weight file's bytes, the options, the stored layers, the
    precision, the deterministic warm-up and the cache format. Changed weights or options thus
    never serve stale activations; they just miss. An entry's value starts with the SHA-256 of its
    array: a flipped bit is a miss, counted in `damaged`, warned about once.

    A store that cannot be read (damaged lmdb pages) gives misses; a folder that cannot be
    created or written (read-only, full disk) makes the cache compute without storing. Both warn
    once with the path, and training goes on with exactly the numbers it would have without
    a cache.

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
        self.path = os.path.join(directory, "elmo_activations.lmdb")
        self.damaged = 0
        self._warned: Set[str] = set()
        self._cache: Optional[TensorCache] = None
        try:
            os.makedirs(directory, exist_ok=True)
            self._cache = TensorCache(self.path)
        except (OSError, lmdb.Error) as error:
            self._warn("open", f"cannot be opened ({error}); computing every activation")
        self.layers = list(layers)
        self._dtype = torch.float16 if half_precision else torch.float32
        with open(cached_path(options_file), "rb") as f:
            options = json.load(f)
        identity = json.dumps(
            {
                "format": CACHE_FORMAT,
                "language": language,
                "weights": file_hash(weight_file),
                "options": options,
                "layers": self.layers,
                "dtype": str(self._dtype),
                "warm_up": WARM_UP_SENTENCES,
            },
            sort_keys=True,
        )
        self._prefix = hashlib.sha256(identity.encode()).hexdigest()[:32]
        self.written = 0
        if self._cache is not None:
            logger.info("ELMo activation cache %s (%s): %s", self.path, language, self.size())

    def _warn(self, kind: str, problem: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            logger.warning("ELMo activation cache %s %s", self.path, problem)

    def size(self) -> str:
        if self._cache is None:
            return "not open"
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
        found: Dict[int, torch.Tensor] = {}
        if self._cache is None:
            return found
        try:
            with self._cache.lmdb_env.begin(write=False) as transaction:
                buffers = [transaction.get(key.encode()) for key in keys]
        except lmdb.Error as error:
            self._warn("read", f"cannot be read ({error}); computing these activations")
            return found
        for row, (buffer, positions) in enumerate(zip(buffers, num_positions)):
            if buffer is None:
                continue
            value = _from_bytes(buffer)
            # A foreign, colliding or damaged entry is recomputed, never misused.
            if value is None or value.shape != (len(self.layers), positions, dim):
                self.damaged += 1
                self._warn("damaged", "holds damaged entries; they are computed again")
                continue
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
        if self._cache is not None and "write" not in self._warned:
            try:
                with self._cache.lmdb_env.begin(write=True) as transaction:
                    for key, value in stored.items():
                        transaction.put(key.encode(), _to_bytes(value))
            except (lmdb.Error, OSError) as error:
                self._warn("write", f"cannot be written ({error}); computing without storing")
            else:
                before = self.written
                self.written += len(stored)
                if self.written // 1000 > before // 1000:
                    logger.info("ELMo activation cache %s: %s", self.path, self.size())
        return {key: torch.from_numpy(value).float() for key, value in stored.items()}


def _to_bytes(array: numpy.ndarray) -> bytes:
    """The entry of `array`: the SHA-256 (first 16 bytes) of its `.npy` bytes, then those."""
    buffer = io.BytesIO()
    numpy.save(buffer, array, allow_pickle=False)
    content = buffer.getvalue()
    return hashlib.sha256(content).digest()[:_CHECKSUM_BYTES] + content


def _from_bytes(buffer: bytes) -> Optional[numpy.ndarray]:
    # Only a .npy array whose checksum holds is accepted: a plain header and the numbers, nothing
    # unpickled. Anything else (a flipped bit, an .npz archive, a truncated or foreign value)
    # reads as a miss.
    checksum, content = bytes(buffer[:_CHECKSUM_BYTES]), bytes(buffer[_CHECKSUM_BYTES:])
    if hashlib.sha256(content).digest()[:_CHECKSUM_BYTES] != checksum:
        return None
    if not content.startswith(numpy.lib.format.MAGIC_PREFIX):
        return None
    try:
        return numpy.lib.format.read_array(io.BytesIO(content), allow_pickle=False)
    except (ValueError, EOFError, OSError):
        return None
