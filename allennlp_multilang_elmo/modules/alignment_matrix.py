"""
Loading of cross-lingual alignment matrices: a `(dim, dim)` matrix `W` per language that maps the
language's ELMo space onto the shared one as `x @ W.T`.
"""
from typing import Callable, List, Tuple, Union

import numpy
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.common.file_utils import cached_path

_NPY_MAGIC = b"\x93NUMPY"


def _numpy_safe_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    # MUSE and the authors' `*_best_mapping.pth` are `torch.save(numpy_array)` pickles. torch's
    # weights-only unpickler refuses every global it does not know; these are the few that a plain
    # numpy array needs, under their numpy 1.x names (the released files) and numpy 2.x names.
    reconstruct = numpy._core.multiarray._reconstruct
    return [
        (reconstruct, "numpy.core.multiarray._reconstruct"),
        (reconstruct, "numpy._core.multiarray._reconstruct"),
        (numpy.ndarray, "numpy.ndarray"),
        (numpy.dtype, "numpy.dtype"),
        # unpickling a dtype sets its state on the concrete dtype class
        numpy.dtypes.Float16DType,
        numpy.dtypes.Float32DType,
        numpy.dtypes.Float64DType,
    ]


def _read_matrix(path: str) -> numpy.ndarray:
    with open(path, "rb") as f:
        is_npy = f.read(len(_NPY_MAGIC)) == _NPY_MAGIC
    if is_npy:
        return numpy.load(path, allow_pickle=False)
    # Never weights_only=False: these files come from the internet.
    with torch.serialization.safe_globals(_numpy_safe_globals()):
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(loaded, torch.Tensor):
        return loaded.detach().to(torch.float64).numpy()
    if isinstance(loaded, numpy.ndarray):
        return loaded
    raise TypeError(f"it holds a {type(loaded).__name__}, not a tensor or numpy array")


def load_alignment_matrix(path: str, dim: int, language: str) -> torch.Tensor:
    """
    Reads the alignment matrix of `language` from `path` (a local path or URL, through
    `cached_path`) and checks it: square, `dim` by `dim`, finite. Accepted formats: a tensor saved
    with `torch.save`, a numpy array saved with `torch.save` (legacy or zip format, as MUSE writes
    it), and `.npy`. Files are read without executing pickled code.

    # Parameters

    path : `str`
        The alignment file.
    dim : `int`
        The output dimension of the language's ELMo, which the matrix must match.
    language : `str`
        The language, for error messages.

    # Returns

    `torch.Tensor`
        A float32 tensor of shape `(dim, dim)`.
    """
    where = f"alignment file {path!r} of language {language!r}"
    try:
        matrix = _read_matrix(cached_path(path))
    except Exception as e:
        raise ConfigurationError(f"Could not read the {where}: {e}") from e
    if matrix.dtype.kind not in "fiu":
        raise ConfigurationError(f"The {where} holds a {matrix.dtype} array, not numbers")
    if matrix.shape != (dim, dim):
        raise ConfigurationError(
            f"The {where} has shape {tuple(matrix.shape)}, but must be square ({dim}, {dim}) "
            f"to match the output dimension {dim} of that language's ELMo"
        )
    if not numpy.isfinite(matrix).all():
        raise ConfigurationError(f"The {where} contains NaN or infinite values")
    return torch.tensor(matrix, dtype=torch.float32)
