"""
Tiny, randomly initialised ELMo biLMs in the bilm-tf file layout (options.json + hdf5 weights, see
`elmo_weights`) and alignments between them, so that demos and tests build real, loadable models of
any size without the network: what `allennlp write-tiny-elmo` writes.

Every file appears whole or not at all; sizes and language codes are checked before anything is
written.
"""

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy
import torch
from allennlp.common.checks import ConfigurationError

from allennlp_multilang_elmo.common.language_codes import check_language
from allennlp_multilang_elmo.modules.alignment_matrix import write_alignment
from allennlp_multilang_elmo.modules.elmo_weights import (
    NUM_CHARACTER_ROWS,
    check_elmo_options,
    expected_weight_shapes,
    write_elmo_options,
    write_elmo_weights,
)

LAYOUTS = ("folders", "released")
"""
How `write_multilang_elmo` names its files: `folders` writes `<lang>/options.json`,
`<lang>/weights.hdf5` and `<lang>/align.pth`; `released` writes the authors' released names
`options262.json` (shared), `<lang>_weights.hdf5` and `<lang>_best_mapping.pth`.
"""


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


def random_elmo_weights(
    options: Dict[str, Any], seed: int = 0, scale: float = 0.5
) -> Dict[str, numpy.ndarray]:
    """
    Random weights for `options` in bilm-tf's layout (`expected_weight_shapes` and `char_embed`):
    normal with standard deviation `scale`, the highway carry biases shifted by -2 so that highway
    layers begin close to the identity, as bilm-tf starts them.
    """
    shapes: Dict[str, Tuple[int, ...]] = {
        "char_embed": (NUM_CHARACTER_ROWS, options["char_cnn"]["embedding"]["dim"])
    }
    shapes.update(expected_weight_shapes(check_elmo_options(options)))
    rng = numpy.random.RandomState(seed)
    weights = {}
    # Drawn in the order the first writer drew them, so that a seed gives the same model as before.
    for name in _first_writer_order(list(shapes)):
        weights[name] = (rng.randn(*shapes[name]) * scale).astype(numpy.float32)
        if name.endswith("/b_carry"):
            weights[name] -= 2.0
    return {name: weights[name] for name in shapes}


def _first_writer_order(names: List[str]) -> List[str]:
    """
    `names` in the order the first tiny writer drew them: the layout's order, except that within a
    highway layer both matrices come before both biases.
    """
    groups = list(dict.fromkeys(name.rsplit("/", 1)[0] for name in names))
    rank = {"W_transform": 0, "W_carry": 1, "b_transform": 2, "b_carry": 3}

    def key(name: str) -> Tuple[int, int]:
        group, _, kind = name.rpartition("/")
        return groups.index(group or kind), rank.get(kind, 0)

    return sorted(names, key=key)


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
    write_elmo_weights(random_elmo_weights(options, seed), weight_file)
    return options_file, weight_file


def random_orthogonal(dim: int, seed: int = 0, scale: float = 1.0) -> numpy.ndarray:
    """A random orthogonal matrix (times `scale`), like a Procrustes alignment."""
    # torch's QR: numpy's takes seconds at 1024 dimensions with this machine's OpenBLAS settings.
    gaussian = torch.randn(
        dim, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )
    q, r = torch.linalg.qr(gaussian)
    return (q * torch.sign(torch.diagonal(r))).numpy() * scale


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

    Languages must be distinct plain codes (`check_language`), the sizes in `options`
    positive, and, unless `overwrite`, none of the files may exist; all of this is checked before
    anything is written (`ConfigurationError`).
    """
    options = check_elmo_options(options if options is not None else elmo_options())
    if layout not in LAYOUTS:
        raise ConfigurationError(f"Unknown layout {layout!r}: one of {', '.join(LAYOUTS)}")
    if not languages:
        raise ConfigurationError("Give at least one language")
    for language in languages:
        check_language(language)
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
        weights = random_elmo_weights(options, seed=base_seed + index)
        write_elmo_weights(weights, files["weight_files"][lang])
        if lang in files["aligning_files"]:
            matrix = numpy.eye(dim) if index == 0 else random_orthogonal(dim, base_seed + index)
            write_alignment(files["aligning_files"][lang], matrix, "muse")
    return files
