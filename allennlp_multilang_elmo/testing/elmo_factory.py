"""
Writers for tiny ELMo biLMs in the bilm-tf file layout (options.json + hdf5 weights) and for alignment
matrices, so tests and demos can build real, loadable models of any size without the network.
"""
import io
import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import h5py
import numpy
import torch

# bilm-tf keeps 261 character rows; AllenNLP prepends a zero padding row (262 ids in all).
_NUM_CHAR_ROWS = 261


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
    """The options.json content of a bilm-tf ELMo; its output dimension is `2 * projection_dim`."""
    return {
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


def write_elmo_weights(
    options: Dict[str, Any], weight_file: str, seed: int = 0, scale: float = 0.5
) -> None:
    """
    Writes random weights for `options` to `weight_file` in bilm-tf's hdf5 layout: character
    embedding, CNN filters, highway layers, CNN projection, and per direction and layer the LSTM
    kernel `W_0` (TensorFlow gate order i, j, f, o), bias `B` and cell projection `W_P_0`.
    """
    rng = numpy.random.RandomState(seed)

    def normal(*shape: int) -> numpy.ndarray:
        return (rng.randn(*shape) * scale).astype(numpy.float32)

    cnn, lstm = options["char_cnn"], options["lstm"]
    char_dim = cnn["embedding"]["dim"]
    num_filters = sum(n for _, n in cnn["filters"])
    proj_dim, cell_dim = lstm["projection_dim"], lstm["dim"]
    with h5py.File(weight_file, "w") as f:
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
    os.makedirs(directory, exist_ok=True)
    options = options if options is not None else elmo_options()
    options_file = os.path.join(directory, "options.json")
    weight_file = os.path.join(directory, "weights.hdf5")
    with open(options_file, "w") as f:
        json.dump(options, f, indent=2)
    write_elmo_weights(options, weight_file, seed=seed)
    return options_file, weight_file


def random_orthogonal(dim: int, seed: int = 0, scale: float = 1.0) -> numpy.ndarray:
    """A random orthogonal matrix (times `scale`), like a Procrustes alignment."""
    # torch's QR: numpy's takes seconds at 1024 dimensions with this machine's OpenBLAS settings.
    gaussian = torch.randn(dim, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
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
    if file_format == "torch":
        torch.save(torch.tensor(matrix, dtype=torch.float32), path)
    elif file_format == "muse":
        buffer = io.BytesIO()
        torch.save(numpy.asarray(matrix, dtype=numpy.float64), buffer, _use_new_zipfile_serialization=False)
        # numpy 2 pickles its reconstructor as numpy._core; the released files (numpy 1.x) say
        # numpy.core. Protocol 2 names globals as newline-terminated text, so this is exact.
        legacy = buffer.getvalue().replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
        with open(path, "wb") as f:
            f.write(legacy)
    elif file_format == "npy":
        with open(path, "wb") as f:
            numpy.save(f, numpy.asarray(matrix))
    else:
        raise ValueError(f"unknown alignment file format {file_format!r}: torch, muse or npy")
    return path


def write_multilang_elmo(
    directory: str,
    languages: List[str],
    options: Optional[Dict[str, Any]] = None,
    aligned: bool = True,
    base_seed: int = 1,
) -> Dict[str, Dict[str, str]]:
    """
    Writes one tiny ELMo per language (seed `base_seed + index`) under `directory/<lang>/`, and for
    every language but the first (the target space, identity) an orthogonal alignment `align.pth` in
    MUSE's format. Returns `{"options_files": ..., "weight_files": ..., "aligning_files": ...}`,
    ready to be the embedder's parameters.
    """
    options = options if options is not None else elmo_options()
    dim = 2 * options["lstm"]["projection_dim"]
    files: Dict[str, Dict[str, str]] = {"options_files": {}, "weight_files": {}, "aligning_files": {}}
    for index, lang in enumerate(languages):
        lang_dir = os.path.join(directory, lang)
        options_file, weight_file = write_elmo_model(lang_dir, base_seed + index, options)
        files["options_files"][lang] = options_file
        files["weight_files"][lang] = weight_file
        if aligned and index > 0:
            matrix = random_orthogonal(dim, seed=base_seed + index)
            align_file = os.path.join(lang_dir, "align.pth")
            files["aligning_files"][lang] = write_alignment(align_file, matrix, "muse")
    return files
