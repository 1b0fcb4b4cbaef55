"""
bilm-tf weight arrays for biLMs trained here: fresh ones, initialised as bilm-tf initialises its
variables; the arrays of trained `ElmoCharacterEncoder` and `ElmoBiLstm` modules, with exactly the
conventions their loaders apply undone; and writing them as an `options.json` + `weights.hdf5`
folder that bilm-tf, AllenNLP's `Elmo` and this package read.
"""

import copy
import json
import os
import shutil
from typing import Any, Dict

import h5py
import numpy
from allennlp.common.checks import ConfigurationError

from allennlp_multilang_elmo.modules.elmo_bilstm import ElmoBiLstm
from allennlp_multilang_elmo.modules.elmo_character_encoder import ElmoCharacterEncoder
from allennlp_multilang_elmo.modules.elmo_weights import (
    NUM_CHARACTER_ROWS,
    expected_weight_shapes,
    lstm_cell_path,
)

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


def elmo_weights_of(encoder: ElmoCharacterEncoder, lstm: ElmoBiLstm) -> Dict[str, numpy.ndarray]:
    """
    The bilm-tf arrays of a (trained) encoder and LSTM, keyed by hdf5 path: the exact inverse of
    how they are built from a weight file. The padding row of the character table is dropped, the
    highway carry gate is negated back, convolutions go back to `(1, width, char_dim, count)`, each
    LSTM cell's input and recurrent kernels are stacked into `W_0` (TensorFlow gate order i, j, f,
    o, kept throughout) and AllenNLP's +1 is taken off the forget bias.
    """

    def array(parameter) -> numpy.ndarray:
        return parameter.detach().cpu().numpy().astype(numpy.float32)

    weights = {"char_embed": array(encoder.char_embedding)[1:]}
    for i, (kernel, bias) in enumerate(zip(encoder.conv_weights, encoder.conv_biases)):
        weights[f"CNN/W_cnn_{i}"] = array(kernel).transpose(2, 1, 0)[None]
        weights[f"CNN/b_cnn_{i}"] = array(bias)
    for k, (kernel, bias) in enumerate(zip(encoder.highway_weights, encoder.highway_biases)):
        transform, carry = numpy.split(array(kernel), 2, axis=1)
        transform_bias, carry_bias = numpy.split(array(bias), 2)
        weights[f"CNN_high_{k}/W_transform"] = transform
        weights[f"CNN_high_{k}/W_carry"] = -carry
        weights[f"CNN_high_{k}/b_transform"] = transform_bias
        weights[f"CNN_high_{k}/b_carry"] = -carry_bias
    weights["CNN_proj/W_proj"] = array(encoder.projection_weight)
    weights["CNN_proj/b_proj"] = array(encoder.projection_bias)
    cell = lstm.cell_size
    for layer in range(lstm.num_layers):
        for direction in (0, 1):
            path = lstm_cell_path(direction, layer)
            weights[f"{path}/W_0"] = numpy.concatenate(
                [
                    array(lstm.input_weights[layer])[direction],
                    array(lstm.recurrent_weights[layer])[direction],
                ]
            )
            bias = array(lstm.biases[layer])[direction, 0]
            bias[2 * cell : 3 * cell] -= 1.0
            weights[f"{path}/B"] = bias
            weights[f"{path}/W_P_0"] = array(lstm.projections[layer])[direction]
    return {name: numpy.ascontiguousarray(value) for name, value in weights.items()}


def write_elmo_files(
    options: Dict[str, Any], weights: Dict[str, numpy.ndarray], output_dir: str
) -> Dict[str, str]:
    """
    Writes `output_dir/options.json` (`complete_elmo_options`) and `output_dir/weights.hdf5` (every
    array of `weights` under its hdf5 path) and returns their paths. `output_dir` must not exist:
    the files are written into a hidden folder beside it, which is renamed to `output_dir` only when
    both are complete, so a failure leaves nothing behind.
    """
    output_dir = os.path.abspath(output_dir)
    if os.path.lexists(output_dir):
        raise ConfigurationError(
            f"The output folder {output_dir!r} already exists; give a new folder (nothing was "
            "written)"
        )
    parent = os.path.dirname(output_dir)
    os.makedirs(parent, exist_ok=True)
    temporary = os.path.join(parent, f".{os.path.basename(output_dir)}.{os.getpid()}.tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    try:
        os.makedirs(temporary)
        with open(os.path.join(temporary, "options.json"), "w", encoding="utf-8") as f:
            json.dump(complete_elmo_options(options), f, indent=2)
        with h5py.File(os.path.join(temporary, "weights.hdf5"), "w") as f:
            for name, value in weights.items():
                f.create_dataset(name, data=value)
        os.rename(temporary, output_dir)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return {
        "options_file": os.path.join(output_dir, "options.json"),
        "weight_file": os.path.join(output_dir, "weights.hdf5"),
    }
