"""
B7: `torch.load` defaults to `weights_only=True` since torch 2.6, which breaks two AllenNLP reads.

1. `allennlp train --recover` (`Checkpointer.load_checkpoint`) loads the training state, which
   holds the metric tracker, the learning-rate scheduler and callback states. Metrics computed with
   numpy or scipy (for example `SpearmanCorrelation`) are numpy scalars, and unpickling those needs
   `numpy._core.multiarray.scalar` and numpy dtype classes, which the weights-only unpickler refuses
   (`UnpicklingError: ... Unsupported global: GLOBAL numpy._core.multiarray.scalar`). We allow-list
   exactly these: they rebuild a number of a fixed numeric dtype from its bytes and can construct
   nothing else (numpy arrays and object dtypes stay refused).
2. `TensorCache.__getitem__` loads tensors that `TensorCache.__setitem__` saved with
   `pickle.HIGHEST_PROTOCOL`; the weights-only unpickler does not support protocol 5 opcodes at
   all (`Unsupported operand 149`), so no allow-list can help. The cache only ever reads tensors it
   wrote itself, so its read, and only that read, loads with `weights_only=False`.

Every other `torch.load` keeps torch's safe default.
"""

import io
from typing import Any, List

import numpy
import torch
from allennlp.common.file_utils import TensorCache

from allennlp_multilang_elmo.compat._patching import replace_attribute, written_for


def numpy_scalar_globals() -> List[Any]:
    """
    What unpickling a numpy bool or numeric scalar needs: numpy's scalar reconstructor,
    `numpy.dtype`, and the dtype classes of bool, integer, float and complex types.
    """
    codes = "?" + numpy.typecodes["AllInteger"] + numpy.typecodes["AllFloat"]
    dtype_classes = sorted({type(numpy.dtype(code)) for code in codes}, key=lambda c: c.__name__)
    # numpy's stubs do not declare the private `_core` package that pickles of numpy 2 name.
    return [numpy._core.multiarray.scalar, numpy.dtype, *dtype_classes]  # type: ignore[attr-defined]


def _trusted_getitem(self: TensorCache, key: str) -> torch.Tensor:
    # Same contract as the original: per-key identity through `cache_cache`, `KeyError` if missing.
    try:
        return self.cache_cache[key]
    except KeyError:
        with self.lmdb_env.begin(write=False) as txn:
            buffer = txn.get(key.encode())
            if buffer is None:
                raise KeyError(key)
            tensor = torch.load(io.BytesIO(buffer), map_location="cpu", weights_only=False)
        self.cache_cache[key] = tensor
        return tensor


# The weights-only default came with torch 2.6; `numpy._core` (the allow-listed module) with
# numpy 2.
VERSIONS = {"allennlp": "==2.10.1", "torch": ">=2.6", "numpy": ">=2"}
"""The installed versions this patch was written for (see `written_for`)."""


def apply() -> None:
    """Allow-lists numpy scalars for `torch.load` and makes `TensorCache` read its own files."""
    if not written_for("B7 (torch_load)", VERSIONS):
        return
    # `add_safe_globals` keeps a set, so adding the same globals again changes nothing.
    torch.serialization.add_safe_globals(numpy_scalar_globals())
    replace_attribute(TensorCache, "__getitem__", lambda _: _trusted_getitem)
