from typing import Any, Dict, List, Optional, Tuple

import numpy
import torch
from allennlp.modules.encoder_base import _EncoderBase
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from allennlp_multilang_elmo.modules.elmo_lstm_layer import run_lstm_layer
from allennlp_multilang_elmo.modules.elmo_weights import lstm_cell_path

LstmState = Tuple[torch.Tensor, torch.Tensor]


def _reversal_index(batch_sizes: List[int], device: torch.device) -> torch.Tensor:
    """
    For a packed batch (time-major, sorted longest first), the index that maps each position
    `(t, row)` to `(length(row) - 1 - t, row)`: every sequence reversed within its own length.
    Gathering with it turns the backward direction into a forward pass with the same shrinking
    set of active rows; it is its own inverse.
    """
    sizes = torch.tensor(batch_sizes)
    offsets = torch.cumsum(sizes, 0) - sizes
    lengths = (sizes.unsqueeze(1) > torch.arange(int(sizes[0])).unsqueeze(0)).sum(0)
    steps = torch.repeat_interleave(torch.arange(len(batch_sizes)), sizes)
    rows = torch.arange(int(sizes.sum())) - offsets[steps]
    return (offsets[lengths[rows] - 1 - steps] + rows).to(device)


class ElmoBiLstm(_EncoderBase):
    """
    ELMo's stacked bidirectional LSTM with AllenNLP's `ElmoLstm` math (LSTM cells with a
    projection, cell clip and projection clip; a residual connection from the second layer on; the
    two directions stacked separately) and AllenNLP's statefulness across batches
    (`_EncoderBase`). Faster in how it computes, not in what:

    - each layer's input product runs once over all real positions of the batch, never over padding;
    - both directions advance in the same step, as one batched product: the backward direction runs
      on each sequence reversed within its length, so both have the same shrinking set of active
      rows;
    - layers above the last one asked for are not run.

    Parameters keep bilm-tf's layout (`x @ W`, TensorFlow gate order i, j, f, o), stacked over the
    two directions, with AllenNLP's +1 on the forget bias.

    # Parameters

    options : `Dict[str, Any]`
        The checked bilm-tf options.
    weights : `Dict[str, numpy.ndarray]`
        The checked bilm-tf weights.
    requires_grad : `bool`, optional (default = `False`)
        Whether the weights are trained.
    """

    def __init__(
        self,
        options: Dict[str, Any],
        weights: Dict[str, numpy.ndarray],
        requires_grad: bool = False,
    ) -> None:
        super().__init__(stateful=True)
        lstm = options["lstm"]
        self.num_layers = lstm["n_layers"]
        self.hidden_size = lstm["projection_dim"]
        self.cell_size = lstm["dim"]
        # Falsy clips are off, as in AllenNLP.
        self.cell_clip = lstm.get("cell_clip") or None
        self.projection_clip = lstm.get("proj_clip") or None
        cell, hidden = self.cell_size, self.hidden_size

        def stacked(layer: int, name: str, transform=lambda array: array) -> torch.nn.Parameter:
            arrays = [
                transform(weights[f"{lstm_cell_path(direction, layer)}/{name}"])
                for direction in (0, 1)
            ]
            return torch.nn.Parameter(
                torch.from_numpy(numpy.ascontiguousarray(numpy.stack(arrays))),
                requires_grad=requires_grad,
            )

        def forget_bias(bias: numpy.ndarray) -> numpy.ndarray:
            bias = bias.copy()
            bias[2 * cell : 3 * cell] += 1.0
            return bias[None, :]

        # Per layer, each stacked over (forward, backward): input (2, hidden, 4 cell), recurrent
        # (2, hidden, 4 cell), bias (2, 1, 4 cell), projection (2, cell, hidden).
        self.input_weights = torch.nn.ParameterList(
            stacked(layer, "W_0", lambda w: w[:hidden]) for layer in range(self.num_layers)
        )
        self.recurrent_weights = torch.nn.ParameterList(
            stacked(layer, "W_0", lambda w: w[hidden:]) for layer in range(self.num_layers)
        )
        self.biases = torch.nn.ParameterList(
            stacked(layer, "B", forget_bias) for layer in range(self.num_layers)
        )
        self.projections = torch.nn.ParameterList(
            stacked(layer, "W_P_0") for layer in range(self.num_layers)
        )
        self._fixed_initial_state: Optional[LstmState] = None

    def get_output_dim(self) -> int:
        return 2 * self.hidden_size

    def bilm_tf_weights(self) -> Dict[str, numpy.ndarray]:
        """
        The LSTM's (trained) weights as bilm-tf arrays keyed by hdf5 path: the exact inverse of the
        constructor. Each cell's input and recurrent kernels are stacked into `W_0` (TensorFlow
        gate order i, j, f, o, kept throughout) and AllenNLP's +1 is taken off the forget bias.
        """

        def array(parameter: torch.Tensor, direction: int) -> numpy.ndarray:
            return parameter.detach().cpu().numpy().astype(numpy.float32)[direction]

        cell = self.cell_size
        weights = {}
        for layer in range(self.num_layers):
            for direction in (0, 1):
                path = lstm_cell_path(direction, layer)
                weights[f"{path}/W_0"] = numpy.concatenate(
                    [
                        array(self.input_weights[layer], direction),
                        array(self.recurrent_weights[layer], direction),
                    ]
                )
                bias = array(self.biases[layer], direction)[0]
                bias[2 * cell : 3 * cell] -= 1.0
                weights[f"{path}/B"] = bias
                weights[f"{path}/W_P_0"] = array(self.projections[layer], direction)
        return {name: numpy.ascontiguousarray(value) for name, value in weights.items()}

    def use_fixed_initial_state(self, state: Optional[LstmState]) -> None:
        """
        With a state `(hidden (num_layers, 1, 2 * hidden), memory (num_layers, 1, 2 * cell))`, every
        sequence starts from it and nothing is carried between batches; with `None`, AllenNLP's
        carried state is used again (starting from zeros).
        """
        self._fixed_initial_state = state
        self.stateful = state is None
        self.reset_states()

    def forward(
        self, inputs: torch.Tensor, mask: torch.BoolTensor, num_layers: Optional[int] = None
    ) -> List[torch.Tensor]:
        """
        # Parameters

        inputs : `torch.Tensor`
            Shape `(batch_size, timesteps, hidden_size)`.
        mask : `torch.BoolTensor`
            Shape `(batch_size, timesteps)`; each row's length is its number of `True`s.
        num_layers : `int`, optional (default = all)
            Run only the lowest `num_layers` layers; the carried states of the others stay as they
            are.

        # Returns

        `List[torch.Tensor]`
            One output per layer run, each `(batch_size, timesteps, 2 * hidden_size)`, forward
            and backward halves; zero past each row's length.
        """
        num_layers = self.num_layers if num_layers is None else num_layers
        batch_size, total_timesteps = mask.size()
        fixed = self._fixed_initial_state
        hidden_state: Optional[LstmState] = None
        if fixed is not None:
            # The module may have moved to another device since the state was computed.
            hidden_state = (
                fixed[0].to(inputs.device).expand(-1, batch_size, -1),
                fixed[1].to(inputs.device).expand(-1, batch_size, -1),
            )

        def run(packed: PackedSequence, initial: Any) -> Any:
            return self._run_layers(packed, initial, num_layers)

        stacked, final_states, restoration = self.sort_and_run_forward(
            run, inputs, mask, hidden_state
        )
        num_valid, timesteps = stacked.size(1), stacked.size(2)
        stacked = torch.nn.functional.pad(
            stacked, (0, 0, 0, total_timesteps - timesteps, 0, batch_size - num_valid)
        ).index_select(1, restoration)
        if self.stateful:
            final_states = tuple(
                torch.nn.functional.pad(state, (0, 0, 0, batch_size - num_valid))
                for state in final_states
            )
            self._update_states(final_states, restoration)
        return list(stacked.unbind(0))

    def _run_layers(
        self, packed: PackedSequence, initial: Optional[LstmState], num_layers: int
    ) -> Tuple[torch.Tensor, LstmState]:
        batch_sizes: List[int] = packed.batch_sizes.tolist()
        reverse = _reversal_index(batch_sizes, packed.data.device)
        # Directions stacked: (2, positions, hidden); the backward one reversed within lengths.
        layer_input = torch.stack([packed.data, packed.data.index_select(0, reverse)])
        outputs, final_hidden, final_memory = [], [], []
        for layer in range(self.num_layers):
            if layer < num_layers:
                start: Optional[LstmState] = None
                if initial is not None:
                    # (num_sequences, 2 * size) -> (2 directions, num_sequences, size)
                    start = (
                        torch.stack(initial[0][layer].split(self.hidden_size, -1)),
                        torch.stack(initial[1][layer].split(self.cell_size, -1)),
                    )
                output, (hidden, memory) = self._run_layer(layer, layer_input, batch_sizes, start)
                if layer > 0:
                    output = output + layer_input
                layer_input = output
                both = torch.cat([output[0], output[1].index_select(0, reverse)], dim=-1)
                outputs.append(
                    pad_packed_sequence(PackedSequence(both, packed.batch_sizes), batch_first=True)[
                        0
                    ]
                )
                final_hidden.append(torch.cat(hidden.unbind(0), dim=-1))
                final_memory.append(torch.cat(memory.unbind(0), dim=-1))
            else:
                # Not run: its carried state passes through unchanged.
                num_valid = batch_sizes[0]
                if initial is not None:
                    final_hidden.append(initial[0][layer])
                    final_memory.append(initial[1][layer])
                else:
                    final_hidden.append(layer_input.new_zeros(num_valid, 2 * self.hidden_size))
                    final_memory.append(layer_input.new_zeros(num_valid, 2 * self.cell_size))
        return torch.stack(outputs), (torch.stack(final_hidden), torch.stack(final_memory))

    def _run_layer(
        self,
        layer: int,
        inputs: torch.Tensor,
        batch_sizes: List[int],
        initial: Optional[LstmState],
    ) -> Tuple[torch.Tensor, LstmState]:
        """
        One layer, both directions: `inputs` `(2, positions, hidden)` packed, time-major. Returns
        the packed outputs `(2, positions, hidden)` and each sequence's final `(hidden, memory)`,
        each `(2, num_sequences, size)`.
        """
        # The input product of all positions at once, bias included.
        gates_from_input = torch.baddbmm(self.biases[layer], inputs, self.input_weights[layer])
        if initial is None:
            num_sequences = batch_sizes[0]
            initial = (
                inputs.new_zeros(2, num_sequences, self.hidden_size),
                inputs.new_zeros(2, num_sequences, self.cell_size),
            )
        return run_lstm_layer(
            gates_from_input,
            self.recurrent_weights[layer],
            self.projections[layer],
            batch_sizes,
            initial,
            self.cell_clip,
            self.projection_clip,
        )
