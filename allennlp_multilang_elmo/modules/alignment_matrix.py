"""
Cross-lingual alignment matrices: per language a `(dim, dim)` matrix `W` that maps the language's
(mixed) ELMo space onto the shared one as `x @ W.T`, or a `(num_layers, dim, dim)` stack with one
such matrix per ELMo layer. Reading (checked, never unpickling code), writing in the formats the
field uses, and applying them (`align`).
"""

import io
from typing import Callable, List, Optional, Tuple, Union

import numpy
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.common.file_utils import cached_path

from allennlp_multilang_elmo.common.atomic_files import atomic_file

_NPY_MAGIC = b"\x93NUMPY"


def _numpy_safe_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    # MUSE and the authors' `*_best_mapping.pth` are `torch.save(numpy_array)` pickles. torch's
    # weights-only unpickler refuses every global it does not know; these are the few that a plain
    # numpy array needs, under their numpy 1.x names (the released files) and numpy 2.x names.
    reconstruct = numpy._core.multiarray._reconstruct  # type: ignore[attr-defined]
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


def load_alignment_matrix(
    path: str, dim: int, language: Optional[str], num_layers: Optional[int] = None
) -> torch.Tensor:
    """
    Reads the alignment of `language` from `path` (a local path or URL, through `cached_path`) and
    checks it: `dim` by `dim`, or with `num_layers` given also `(num_layers, dim, dim)` (one matrix
    per ELMo layer), and finite. Accepted formats: a tensor saved with `torch.save`, a numpy array
    saved with `torch.save` (legacy or zip format, as MUSE writes it), and `.npy`. Files are read
    without executing pickled code.

    # Parameters

    path : `str`
        The alignment file.
    dim : `int`
        The output dimension of the language's ELMo, which the matrix must match.
    language : `str`
        The language, for error messages (`None` if there is none).
    num_layers : `int`, optional (default = `None`)
        The language's number of ELMo layers, if per-layer alignments are accepted.

    # Returns

    `torch.Tensor`
        A float32 tensor of shape `(dim, dim)` or `(num_layers, dim, dim)`.
    """
    where = f"alignment file {path!r}" + (f" of language {language!r}" if language else "")
    try:
        matrix = _read_matrix(cached_path(path))
    except Exception as e:
        raise ConfigurationError(f"Could not read the {where}: {e}") from e
    if matrix.dtype.kind not in "fiu":
        raise ConfigurationError(f"The {where} holds a {matrix.dtype} array, not numbers")
    if num_layers is not None and matrix.ndim == 3 and matrix.shape[1:] == (dim, dim):
        if matrix.shape[0] != num_layers:
            raise ConfigurationError(
                f"The {where} holds {matrix.shape[0]} per-layer matrices, but that language's "
                f"ELMo has {num_layers} layers"
            )
    elif matrix.shape != (dim, dim):
        per_layer = f" or ({num_layers}, {dim}, {dim}), one per layer," if num_layers else ""
        raise ConfigurationError(
            f"The {where} has shape {tuple(matrix.shape)}, but must be square ({dim}, {dim})"
            f"{per_layer} to match the output dimension {dim} of that language's ELMo"
        )
    if not numpy.isfinite(matrix).all():
        raise ConfigurationError(f"The {where} contains NaN or infinite values")
    return torch.tensor(matrix, dtype=torch.float32)


def align(
    vectors: torch.Tensor, alignment: torch.Tensor, layer: Optional[int] = None
) -> torch.Tensor:
    """
    `vectors @ W.T`: the alignment `W` of a `(dim, dim)` file, or of layer `layer` of a
    `(num_layers, dim, dim)` stack.
    """
    if alignment.dim() == 3:
        if layer is None:
            raise ValueError("a per-layer alignment needs the layer of the vectors")
        alignment = alignment[layer]
    return torch.nn.functional.linear(vectors, alignment)


def write_alignment(path: str, matrix: numpy.ndarray, file_format: str = "torch") -> str:
    """
    Writes an alignment matrix `W` (applied as `x @ W.T`) to `path` in one of the formats the
    embedder reads:

    - `"torch"`: a float tensor saved with `torch.save` (zip format),
    - `"muse"`: a float64 numpy array saved with `torch.save` in the legacy (pre-zip) format under
      numpy 1.x module names, byte for byte the layout of MUSE's output and of the authors'
      released `*_best_mapping.pth` files,
    - `"npy"`: `numpy.save`.
    """
    buffer = io.BytesIO()
    if file_format == "torch":
        torch.save(torch.tensor(matrix, dtype=torch.float32), buffer)
        content = buffer.getvalue()
    elif file_format == "muse":
        torch.save(
            numpy.asarray(matrix, dtype=numpy.float64), buffer, _use_new_zipfile_serialization=False
        )
        # numpy 2 pickles its reconstructor as numpy._core; the released files (numpy 1.x) say
        # numpy.core. Protocol 2 names globals as newline-terminated text, so this is exact.
        content = buffer.getvalue().replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
    elif file_format == "npy":
        numpy.save(buffer, numpy.asarray(matrix))
        content = buffer.getvalue()
    else:
        raise ValueError(f"unknown alignment file format {file_format!r}: torch, muse or npy")
    with atomic_file(path) as temporary, open(temporary, "wb") as f:
        f.write(content)
    return path
