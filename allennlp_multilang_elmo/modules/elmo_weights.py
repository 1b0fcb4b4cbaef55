"""
The bilm-tf ELMo file layout, in one place: what `options.json` must say (`check_elmo_options`),
which hdf5 datasets of which shapes the options call for (`expected_weight_shapes`), reading both
files (each once, every problem reported with the file and the language it belongs to, before any
module is built, so a model never runs on part of its weights or on weights of another geometry),
bilm-tf's initialisation of fresh weights, and writing both files, whole or not at all.
"""

import copy
import json
import os
from typing import Any, Dict, Iterator, List, Optional, Tuple

import h5py
import numpy
from allennlp.common.checks import ConfigurationError
from allennlp.common.file_utils import cached_path

from allennlp_multilang_elmo.common.atomic_files import atomic_file, atomic_folder

MAX_CHARACTERS_PER_TOKEN = 50
# bilm-tf's character table has 261 rows (ids 0-260); AllenNLP shifts ids by one for padding.
NUM_CHARACTER_ROWS = 261

_REQUIRED_OPTIONS = {
    "lstm": ["projection_dim", "dim", "n_layers", "use_skip_connections"],
    "char_cnn": ["filters", "n_highway", "embedding", "activation"],
}


def _where(kind: str, path: str, language: Optional[str]) -> str:
    owner = f" of language {language!r}" if language else ""
    return f"ELMo {kind} file {path!r}{owner}"


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def read_elmo_options(options_file: str, language: Optional[str] = None) -> Dict[str, Any]:
    """
    Reads and checks a bilm-tf `options.json` (a local path or URL). Raises a `ConfigurationError`
    naming the file and language when it is not JSON or lacks or mistypes an option the biLM needs.
    """
    where = _where("options", options_file, language)
    try:
        with open(cached_path(options_file), "r", encoding="utf-8") as f:
            options = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigurationError(f"Could not read the {where}: {e}") from e
    return check_elmo_options(options, f"The {where}")


def check_elmo_options(options: Any, where: str = "The ELMo options") -> Dict[str, Any]:
    """
    Checks bilm-tf options given as a dict (see `read_elmo_options`); errors begin with `where`.
    """
    if not isinstance(options, dict):
        raise ConfigurationError(f"{where} must hold a JSON object")
    for section, keys in _REQUIRED_OPTIONS.items():
        if not isinstance(options.get(section), dict):
            raise ConfigurationError(f"{where} has no {section!r} section")
        missing = [key for key in keys if key not in options[section]]
        if missing:
            raise ConfigurationError(f"{where} lacks {section}.{', '.join(missing)}")
    lstm, cnn = options["lstm"], options["char_cnn"]
    problems: List[str] = []
    for name in ("projection_dim", "dim", "n_layers"):
        if not _positive_int(lstm[name]):
            problems.append(f"lstm.{name} must be a positive integer, not {lstm[name]!r}")
    if not lstm["use_skip_connections"]:
        problems.append("lstm.use_skip_connections must be true (pre-trained ELMo biLMs use them)")
    for name in ("cell_clip", "proj_clip"):
        value = lstm.get(name)
        if value is not None and (not isinstance(value, (int, float)) or value < 0):
            problems.append(f"lstm.{name} must be a non-negative number, not {value!r}")
    filters = cnn["filters"]
    if not isinstance(filters, list) or not filters:
        problems.append("char_cnn.filters must be a non-empty list of [width, count] pairs")
    else:
        for index, pair in enumerate(filters):
            if not (isinstance(pair, list) and len(pair) == 2):
                problems.append(f"char_cnn.filters[{index}] must be a [width, count] pair")
                continue
            for name, value in zip(("width", "count"), pair):
                if not _positive_int(value):
                    problems.append(
                        f"char_cnn.filters[{index}] {name} must be a positive integer, "
                        f"not {value!r}"
                    )
            if _positive_int(pair[0]) and pair[0] > MAX_CHARACTERS_PER_TOKEN:
                problems.append(
                    f"char_cnn.filters[{index}] width is over {MAX_CHARACTERS_PER_TOKEN}"
                )
    highway = cnn["n_highway"]
    if not isinstance(highway, int) or isinstance(highway, bool) or highway < 0:
        problems.append(
            f"char_cnn.n_highway must be a non-negative integer, not {cnn['n_highway']!r}"
        )
    if not isinstance(cnn["embedding"], dict) or not _positive_int(cnn["embedding"].get("dim")):
        problems.append("char_cnn.embedding.dim must be a positive integer")
    if cnn["activation"] not in ("relu", "tanh"):
        problems.append(f"char_cnn.activation must be 'relu' or 'tanh', not {cnn['activation']!r}")
    max_characters = cnn.get("max_characters_per_token", MAX_CHARACTERS_PER_TOKEN)
    if max_characters != MAX_CHARACTERS_PER_TOKEN:
        problems.append(
            f"char_cnn.max_characters_per_token is {max_characters!r}; AllenNLP's character "
            f"ids have {MAX_CHARACTERS_PER_TOKEN}"
        )
    if problems:
        raise ConfigurationError(f"{where} is invalid: " + "; ".join(problems))
    return options


def lstm_cell_path(direction: int, layer: int) -> str:
    """The hdf5 group of one LSTM cell: direction 0 runs forward, 1 backward."""
    return f"RNN_{direction}/RNN/MultiRNNCell/Cell{layer}/LSTMCell"


def expected_weight_shapes(options: Dict[str, Any]) -> Dict[str, Tuple[int, ...]]:
    """Every dataset a bilm-tf weight file must hold for `options`, with its shape."""
    cnn, lstm = options["char_cnn"], options["lstm"]
    char_dim = cnn["embedding"]["dim"]
    num_filters = sum(count for _, count in cnn["filters"])
    projection_dim, cell_dim = lstm["projection_dim"], lstm["dim"]
    shapes: Dict[str, Tuple[int, ...]] = {}
    for i, (width, count) in enumerate(cnn["filters"]):
        shapes[f"CNN/W_cnn_{i}"] = (1, width, char_dim, count)
        shapes[f"CNN/b_cnn_{i}"] = (count,)
    for k in range(cnn["n_highway"]):
        for name in ("transform", "carry"):
            shapes[f"CNN_high_{k}/W_{name}"] = (num_filters, num_filters)
            shapes[f"CNN_high_{k}/b_{name}"] = (num_filters,)
    shapes["CNN_proj/W_proj"] = (num_filters, projection_dim)
    shapes["CNN_proj/b_proj"] = (projection_dim,)
    for direction in (0, 1):
        for layer in range(lstm["n_layers"]):
            cell = lstm_cell_path(direction, layer)
            shapes[f"{cell}/W_0"] = (2 * projection_dim, 4 * cell_dim)
            shapes[f"{cell}/B"] = (4 * cell_dim,)
            shapes[f"{cell}/W_P_0"] = (cell_dim, projection_dim)
    return shapes


def _datasets(group: h5py.Group) -> Iterator[str]:
    for name, item in group.items():
        if isinstance(item, h5py.Group):
            yield from (f"{name}/{child}" for child in _datasets(item))
        else:
            yield name


def read_elmo_weights(
    weight_file: str, options: Dict[str, Any], language: Optional[str] = None
) -> Dict[str, numpy.ndarray]:
    """
    Reads every dataset of a bilm-tf hdf5 weight file (a local path or URL) once, as float32 arrays
    keyed by their hdf5 path, and checks them against `options`: each dataset the options call for
    is present with its shape, the file holds no further LSTM layers, filters or highway layers
    than the options say, and no value is NaN or infinite. Errors name the file, the language and
    the dataset.
    """
    where = _where("weight", weight_file, language)
    expected = expected_weight_shapes(options)
    char_dim = options["char_cnn"]["embedding"]["dim"]
    try:
        with h5py.File(cached_path(weight_file), "r") as f:
            present = set(_datasets(f))
            missing = sorted(set(expected) - present)
            if "char_embed" not in present:
                missing.insert(0, "char_embed")
            if missing:
                raise ConfigurationError(
                    f"The {where} lacks datasets the options call for: {', '.join(missing[:5])}"
                    + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
                    + " (is it an ELMo weight file, and do its options match?)"
                )
            extra = sorted(
                name
                for name in present - set(expected) - {"char_embed"}
                if name.startswith(("CNN", "RNN_"))
            )
            if extra:
                raise ConfigurationError(
                    f"The {where} holds datasets its options do not describe, e.g. {extra[0]!r}: "
                    "the options (n_layers, n_highway, filters) disagree with the weights"
                )
            arrays = {name: f[name][...] for name in ["char_embed", *expected]}
    except ConfigurationError:
        raise
    except Exception as e:  # h5py raises OSError, KeyError or ValueError for damaged files
        raise ConfigurationError(f"Could not read the {where} (not hdf5, or damaged): {e}") from e

    expected["char_embed"] = (max(NUM_CHARACTER_ROWS, arrays["char_embed"].shape[0]), char_dim)
    for name, shape in expected.items():
        array = arrays[name]
        if array.shape != shape:
            raise ConfigurationError(
                f"Dataset {name!r} of the {where} has shape {array.shape}, but its options call "
                f"for {shape}: the options (projection_dim, dim, filters, embedding) disagree "
                "with the weights"
            )
        if array.dtype.kind != "f":
            raise ConfigurationError(
                f"Dataset {name!r} of the {where} holds {array.dtype}, not floats"
            )
        if not numpy.isfinite(array).all():
            raise ConfigurationError(
                f"Dataset {name!r} of the {where} contains NaN or infinite values"
            )
        arrays[name] = array.astype(numpy.float32, copy=False)
    return arrays


# What bilm-tf's inference code and released options.json files say beside the geometry: the
# character table with AllenNLP's padding row, and a bidirectional model.
_INFERENCE_OPTIONS = {"bidirectional": True}
_INFERENCE_CHAR_CNN = {"n_characters": NUM_CHARACTER_ROWS + 1, "max_characters_per_token": 50}


def complete_elmo_options(options: Dict[str, Any]) -> Dict[str, Any]:
    """
    A copy of checked bilm-tf `options` with every key that bilm-tf's and AllenNLP's loaders read:
    explicit `cell_clip` and `proj_clip` (`None`: no clip), `n_characters` 262,
    `max_characters_per_token` 50 and `bidirectional`.
    """
    options = copy.deepcopy(options)
    for key, flag in _INFERENCE_OPTIONS.items():
        options.setdefault(key, flag)
    for key, size in _INFERENCE_CHAR_CNN.items():
        options["char_cnn"].setdefault(key, size)
    for key in ("cell_clip", "proj_clip"):
        options["lstm"].setdefault(key, None)
    return options


def initial_elmo_weights(options: Dict[str, Any], seed: int = 0) -> Dict[str, numpy.ndarray]:
    """
    Fresh weights for `options` in bilm-tf's layout, drawn as bilm-tf draws them: character
    embeddings uniform in [-1, 1]; convolutions uniform in [-0.05, 0.05] for `relu` (normal with
    variance `1 / (width * char_dim)` for `tanh`) with zero biases; highway and projection matrices
    normal with variance `1 / num_filters`, carry biases -2 (layers start close to the identity),
    other biases 0; LSTM kernels Glorot-uniform (TensorFlow's default) with zero biases.
    """
    rng = numpy.random.RandomState(seed)
    cnn = options["char_cnn"]
    char_dim = cnn["embedding"]["dim"]
    num_filters = sum(count for _, count in cnn["filters"])
    weights = {"char_embed": rng.uniform(-1.0, 1.0, (NUM_CHARACTER_ROWS, char_dim))}
    for name, shape in expected_weight_shapes(options).items():
        kind = name.rsplit("/", 1)[-1]
        if kind.startswith("b_") or kind == "B":
            value = -2.0 if kind == "b_carry" else 0.0
            weights[name] = numpy.full(shape, value)
        elif kind.startswith("W_cnn_"):
            width = shape[1]
            if cnn["activation"] == "relu":
                weights[name] = rng.uniform(-0.05, 0.05, shape)
            else:
                weights[name] = rng.normal(0.0, numpy.sqrt(1.0 / (width * char_dim)), shape)
        elif name.startswith("CNN"):
            weights[name] = rng.normal(0.0, numpy.sqrt(1.0 / num_filters), shape)
        else:
            limit = numpy.sqrt(6.0 / sum(shape))
            weights[name] = rng.uniform(-limit, limit, shape)
    return {name: array.astype(numpy.float32) for name, array in weights.items()}


def write_elmo_options(options: Dict[str, Any], options_file: str) -> str:
    """
    Writes checked `options` (`complete_elmo_options`) as bilm-tf's `options.json` to
    `options_file`, whole or not at all; returns the path.
    """
    options = complete_elmo_options(check_elmo_options(options))
    with atomic_file(options_file) as temporary, open(temporary, "w", encoding="utf-8") as f:
        json.dump(options, f, indent=2)
    return options_file


def write_elmo_weights(weights: Dict[str, numpy.ndarray], weight_file: str) -> str:
    """
    Writes every array of `weights` under its hdf5 path (bilm-tf's layout, see
    `expected_weight_shapes`) to `weight_file`, whole or not at all; returns the path.
    """
    with atomic_file(weight_file) as temporary, h5py.File(temporary, "w") as f:
        for name, value in weights.items():
            f.create_dataset(name, data=value)
    return weight_file


def write_elmo_files(
    options: Dict[str, Any], weights: Dict[str, numpy.ndarray], output_dir: str
) -> Dict[str, str]:
    """
    Writes `output_dir/options.json` and `output_dir/weights.hdf5` and returns their paths.
    `output_dir` must not exist: the folder appears only when both files are complete, so a
    failure leaves nothing behind.
    """
    names = {"options_file": "options.json", "weight_file": "weights.hdf5"}
    try:
        with atomic_folder(output_dir) as temporary:
            write_elmo_options(options, os.path.join(temporary, names["options_file"]))
            write_elmo_weights(weights, os.path.join(temporary, names["weight_file"]))
    except FileExistsError as error:
        raise ConfigurationError(str(error)) from None
    return {key: os.path.join(os.path.abspath(output_dir), name) for key, name in names.items()}
