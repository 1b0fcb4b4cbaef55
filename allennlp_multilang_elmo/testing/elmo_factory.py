"""
Writers for tiny ELMo biLMs in the bilm-tf file layout (options.json + hdf5 weights) and for
alignment matrices, so tests and demos can build real, loadable models of any size without the
network.

Every file is written under a temporary name beside its final one and renamed when complete, so an
interrupted or failed write never leaves a partial file; sizes and language codes are checked
before anything is written.
"""

import contextlib
import io
import json
import os
import re
import uuid
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import h5py
import numpy
import torch
from allennlp.common.checks import ConfigurationError

from allennlp_multilang_elmo.common.language_codes import LANGUAGE_CODE_LENGTH

# bilm-tf keeps 261 character rows; AllenNLP prepends a zero padding row (262 ids in all).
_NUM_CHAR_ROWS = 261

# Letters, digits, `_` and `-`, starting with a letter: `en`, `pt-br`, `zh_Hant`. Nothing that can
# leave a folder (`/`, `..`) when it becomes part of a file name.
_PLAIN_LANGUAGE_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")

LAYOUTS = ("folders", "released")
"""
How `write_multilang_elmo` names its files: `folders` writes `<lang>/options.json`,
`<lang>/weights.hdf5` and `<lang>/align.pth`; `released` writes the authors' released names
`options262.json` (shared), `<lang>_weights.hdf5` and `<lang>_best_mapping.pth`.
"""


def check_language_code(language: str) -> str:
    """Returns `language` if it is a plain language code that can name files; raises otherwise."""
    if not (
        isinstance(language, str)
        and _PLAIN_LANGUAGE_CODE.fullmatch(language)
        and len(language) <= LANGUAGE_CODE_LENGTH
    ):
        raise ConfigurationError(
            f"{language!r} is not a plain language code: use letters, digits, '_' and '-', "
            f"starting with a letter, at most {LANGUAGE_CODE_LENGTH} characters "
            "(e.g. 'en', 'pt-br')"
        )
    return language


def _check_positive(name: str, value: Any, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(f"{name} must be an integer of at least {minimum}, not {value!r}")


def check_elmo_options(options: Dict[str, Any]) -> Dict[str, Any]:
    """Returns `options` if every size in it can build a model; raises naming the size otherwise."""
    cnn, lstm = options["char_cnn"], options["lstm"]
    for name in ("projection_dim", "dim", "n_layers"):
        _check_positive(f"lstm.{name}", lstm[name])
    _check_positive("char_cnn.embedding.dim", cnn["embedding"]["dim"])
    _check_positive("char_cnn.n_highway", cnn["n_highway"], minimum=0)
    if not cnn["filters"]:
        raise ConfigurationError("char_cnn.filters must not be empty")
    for index, (width, num) in enumerate(cnn["filters"]):
        _check_positive(f"char_cnn.filters[{index}] width", width)
        _check_positive(f"char_cnn.filters[{index}] count", num)
    return options


@contextlib.contextmanager
def _written_atomically(path: str) -> Iterator[str]:
    """
    Yields a temporary name beside `path` to write to; renames it to `path` if the block succeeds
    and removes it otherwise.
    """
    temporary = f"{path}.{uuid.uuid4().hex}.tmp"
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def elmo_options(
    char_dim: int = 4,
    filters: Sequence[Tuple[int, int]] = ((1, 4), (2, 8), (3, 8)),
    n_highway: int = 1,
    projection_dim: int = 8,
    cell_dim: int = 16,
    n_layers: int = 2,
    cell_clip: float = 3.0,
    proj_clip: float = 3.0,
    activation: str = "relu",
) -> Dict[str, Any]:
    """
    The options.json content of a bilm-tf ELMo; its output dimension is `2 * projection_dim`.
    Raises `ConfigurationError` naming a size that is not positive.
    """
    return check_elmo_options(
        {
            "lstm": {
                "use_skip_connections": True,
                "projection_dim": projection_dim,
                "cell_clip": cell_clip,
                "proj_clip": proj_clip,
                "dim": cell_dim,
                "n_layers": n_layers,
            },
            "char_cnn": {
                "activation": activation,
                "filters": [list(f) for f in filters],
                "n_highway": n_highway,
                "embedding": {"dim": char_dim},
                "n_characters": 262,
                "max_characters_per_token": 50,
            },
        }
    )


def write_elmo_weights(
    options: Dict[str, Any], weight_file: str, seed: int = 0, scale: float = 0.5
) -> None:
    """
    Writes random weights for `options` to `weight_file` in bilm-tf's hdf5 layout: character
    embedding, CNN filters, highway layers, CNN projection, and per direction and layer the LSTM
    kernel `W_0` (TensorFlow gate order i, j, f, o), bias `B` and cell projection `W_P_0`.
    """
    check_elmo_options(options)
    rng = numpy.random.RandomState(seed)

    def normal(*shape: int) -> numpy.ndarray:
        return (rng.randn(*shape) * scale).astype(numpy.float32)

    cnn, lstm = options["char_cnn"], options["lstm"]
    char_dim = cnn["embedding"]["dim"]
    num_filters = sum(n for _, n in cnn["filters"])
    proj_dim, cell_dim = lstm["projection_dim"], lstm["dim"]
    with _written_atomically(weight_file) as temporary, h5py.File(temporary, "w") as f:
        f.create_dataset("char_embed", data=normal(_NUM_CHAR_ROWS, char_dim))
        for i, (width, num) in enumerate(cnn["filters"]):
            f.create_dataset(f"CNN/W_cnn_{i}", data=normal(1, width, char_dim, num))
            f.create_dataset(f"CNN/b_cnn_{i}", data=normal(num))
        for k in range(cnn["n_highway"]):
            for name in ("transform", "carry"):
                f.create_dataset(f"CNN_high_{k}/W_{name}", data=normal(num_filters, num_filters))
            f.create_dataset(f"CNN_high_{k}/b_transform", data=normal(num_filters))
            # bilm-tf starts the carry bias at -2 so highway layers begin close to identity.
            f.create_dataset(f"CNN_high_{k}/b_carry", data=normal(num_filters) - 2.0)
        f.create_dataset("CNN_proj/W_proj", data=normal(num_filters, proj_dim))
        f.create_dataset("CNN_proj/b_proj", data=normal(proj_dim))
        for direction in (0, 1):
            for layer in range(lstm["n_layers"]):
                cell = f"RNN_{direction}/RNN/MultiRNNCell/Cell{layer}/LSTMCell"
                f.create_dataset(f"{cell}/W_0", data=normal(2 * proj_dim, 4 * cell_dim))
                f.create_dataset(f"{cell}/B", data=normal(4 * cell_dim))
                f.create_dataset(f"{cell}/W_P_0", data=normal(cell_dim, proj_dim))


def write_elmo_model(
    directory: str, seed: int = 0, options: Optional[Dict[str, Any]] = None
) -> Tuple[str, str]:
    """
    Writes `options.json` and `weights.hdf5` of a tiny ELMo into `directory` (created if needed) and
    returns their paths. Different seeds give different models of the same geometry.
    """
    options = check_elmo_options(options if options is not None else elmo_options())
    os.makedirs(directory, exist_ok=True)
    options_file = os.path.join(directory, "options.json")
    weight_file = os.path.join(directory, "weights.hdf5")
    write_elmo_options(options, options_file)
    write_elmo_weights(options, weight_file, seed=seed)
    return options_file, weight_file


def write_elmo_options(options: Dict[str, Any], options_file: str) -> str:
    """Writes `options` (checked) as bilm-tf's options.json to `options_file`; returns the path."""
    check_elmo_options(options)
    with _written_atomically(options_file) as temporary, open(temporary, "w") as f:
        json.dump(options, f, indent=2)
    return options_file


def random_orthogonal(dim: int, seed: int = 0, scale: float = 1.0) -> numpy.ndarray:
    """A random orthogonal matrix (times `scale`), like a Procrustes alignment."""
    # torch's QR: numpy's takes seconds at 1024 dimensions with this machine's OpenBLAS settings.
    gaussian = torch.randn(
        dim, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )
    q, r = torch.linalg.qr(gaussian)
    return (q * torch.sign(torch.diagonal(r))).numpy() * scale


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
    with _written_atomically(path) as temporary, open(temporary, "wb") as f:
        f.write(content)
    return path


def write_multilang_elmo(
    directory: str,
    languages: List[str],
    options: Optional[Dict[str, Any]] = None,
    aligned: bool = True,
    base_seed: int = 1,
    layout: str = "folders",
    overwrite: bool = True,
) -> Dict[str, Dict[str, str]]:
    """
    Writes one tiny ELMo per language (seed `base_seed + index`) into `directory`, named as
    `layout` says (see `LAYOUTS`), and orthogonal alignments in MUSE's format: in the `folders`
    layout for every language but the first (the target space, which needs none), in the
    `released` layout for every language, the first getting the identity (as the authors released
    `en_best_mapping.pth`). Returns `{"options_files": ..., "weight_files": ...,
    "aligning_files": ...}`, ready to be the embedder's parameters.

    Languages must be distinct plain codes (`check_language_code`), the sizes in `options`
    positive, and, unless `overwrite`, none of the files may exist; all of this is checked before
    anything is written (`ConfigurationError`).
    """
    options = check_elmo_options(options if options is not None else elmo_options())
    if layout not in LAYOUTS:
        raise ConfigurationError(f"Unknown layout {layout!r}: one of {', '.join(LAYOUTS)}")
    if not languages:
        raise ConfigurationError("Give at least one language")
    for language in languages:
        check_language_code(language)
    repeated = sorted({language for language in languages if languages.count(language) > 1})
    if repeated:
        raise ConfigurationError(f"Languages given more than once: {', '.join(repeated)}")

    files: Dict[str, Dict[str, str]] = {
        "options_files": {},
        "weight_files": {},
        "aligning_files": {},
    }
    for index, lang in enumerate(languages):
        if layout == "folders":
            names = (os.path.join(lang, "options.json"), os.path.join(lang, "weights.hdf5"))
            align_name = os.path.join(lang, "align.pth") if index > 0 else None
        else:
            names = ("options262.json", f"{lang}_weights.hdf5")
            align_name = f"{lang}_best_mapping.pth"
        files["options_files"][lang] = os.path.join(directory, names[0])
        files["weight_files"][lang] = os.path.join(directory, names[1])
        if aligned and align_name is not None:
            files["aligning_files"][lang] = os.path.join(directory, align_name)
    if not overwrite:
        # In the order of the languages given, each shared file once.
        paths = dict.fromkeys(path for kind in files.values() for path in kind.values())
        existing = [path for path in paths if os.path.exists(path)]
        if existing:
            others = f" and the {len(existing) - 1} other existing files" if existing[1:] else ""
            raise ConfigurationError(
                f"{existing[0]} already exists; pass --force (overwrite=True) to overwrite it"
                f"{others}"
            )

    dim = 2 * options["lstm"]["projection_dim"]
    for index, lang in enumerate(languages):
        os.makedirs(os.path.dirname(files["weight_files"][lang]) or ".", exist_ok=True)
        if index == 0 or layout == "folders":
            write_elmo_options(options, files["options_files"][lang])
        write_elmo_weights(options, files["weight_files"][lang], seed=base_seed + index)
        if lang in files["aligning_files"]:
            matrix = numpy.eye(dim) if index == 0 else random_orthogonal(dim, base_seed + index)
            write_alignment(files["aligning_files"][lang], matrix, "muse")
    return files
