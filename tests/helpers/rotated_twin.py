"""
The rotated twin of an ELMo model: a second model whose every layer output is exactly an orthogonal
rotation of the original's, the known answer for learning alignments.

With `R_t` (token layer), `R_f` (forward LSTM) and `R_b` (backward LSTM), random orthogonal matrices
of the projection dimension, the twin writes

- the character CNN projection times `R_t^T`, so the token embedding `e` becomes `R_t e`;
- every LSTM cell's projection `W_P` times `R_d^T` (`d` its direction), so its output `h` becomes
  `R_d h`; one rotation per direction for all layers, because the residual connection adds layer 1's
  output to layer 2's;
- the rows of every LSTM kernel that read a rotated vector (the input and the recurrent state) times
  `R` from the left, so the gates see exactly what they saw before.

Layer 0 of the twin is then `[R_t e; R_t e]` and LSTM layer `L` is `[R_f h_f; R_b h_b]`. The memory
cells are not rotated, so the cell clip acts as before; the projection clip acts coordinate-wise on
`h`, which does not commute with a rotation, so it must never fire: `write_rotated_twin` checks that
it cannot (|h_i| is at most the absolute column sum of `W_P`, as the output gate and tanh are below
1 in absolute value).
"""

import os
from typing import NamedTuple

import numpy
from scipy.linalg import block_diag

from allennlp_multilang_elmo.modules.elmo_weights import (
    lstm_cell_path,
    read_elmo_options,
    read_elmo_weights,
    write_elmo_options,
    write_elmo_weights,
)
from allennlp_multilang_elmo.modules.tiny_elmo import random_orthogonal


class RotatedTwin(NamedTuple):
    options_file: str
    weight_file: str
    rotations: numpy.ndarray
    """
    Shape `(num_layers, dim, dim)`: layer `L` of the twin is layer `L` of the original `@
    rotations[L].T`. The alignment from the twin onto the original is `rotations[L].T`.
    """


def write_rotated_twin(
    options_file: str, weight_file: str, directory: str, seed: int = 0
) -> RotatedTwin:
    """
    Writes the rotated twin of the bilm-tf model `options_file` + `weight_file` to
    `directory/options.json` and `directory/weights.hdf5`; the rotations are random orthogonal
    matrices drawn from `seed`. Raises `ValueError` if the model's `proj_clip` could fire in either
    model (write the original with a larger one, e.g. `elmo_options(proj_clip=1000.0)`).
    """
    options = read_elmo_options(options_file)
    lstm = options["lstm"]
    proj_dim, num_lstm_layers = lstm["projection_dim"], lstm["n_layers"]
    token_rotation, *direction_rotations = (
        random_orthogonal(proj_dim, seed=seed + offset) for offset in range(3)
    )

    datasets = read_elmo_weights(weight_file, options)
    twin = dict(datasets)
    twin["CNN_proj/W_proj"] = datasets["CNN_proj/W_proj"] @ token_rotation.T
    twin["CNN_proj/b_proj"] = datasets["CNN_proj/b_proj"] @ token_rotation.T
    for direction, rotation in enumerate(direction_rotations):
        for layer in range(num_lstm_layers):
            cell = lstm_cell_path(direction, layer)
            input_rotation = token_rotation if layer == 0 else rotation
            kernel = datasets[f"{cell}/W_0"]
            input_size = kernel.shape[0] - proj_dim
            twin[f"{cell}/W_0"] = numpy.concatenate(
                [input_rotation @ kernel[:input_size], rotation @ kernel[input_size:]]
            )
            twin[f"{cell}/W_P_0"] = datasets[f"{cell}/W_P_0"] @ rotation.T
            for name, model in (("original", datasets), ("twin", twin)):
                bound = float(numpy.abs(model[f"{cell}/W_P_0"]).sum(axis=0).max())
                if lstm["proj_clip"] < bound:
                    raise ValueError(
                        f"proj_clip {lstm['proj_clip']} of {options_file} may fire in the {name}'s "
                        f"{cell} (outputs up to {bound:.3g}); the twin would not be an exact "
                        "rotation"
                    )

    twin_options = write_elmo_options(options, os.path.join(directory, "options.json"))
    twin_weights = write_elmo_weights(
        {name: array.astype(numpy.float32) for name, array in twin.items()},
        os.path.join(directory, "weights.hdf5"),
    )
    rotations = [block_diag(token_rotation, token_rotation)] + [
        block_diag(*direction_rotations)
    ] * num_lstm_layers
    return RotatedTwin(twin_options, twin_weights, numpy.stack(rotations))
