from typing import Any, List, NamedTuple, Optional, Tuple

import torch
from torch.autograd.function import once_differentiable

LstmState = Tuple[torch.Tensor, torch.Tensor]


def run_lstm_layer(
    gates_from_input: torch.Tensor,
    recurrent: torch.Tensor,
    projection: torch.Tensor,
    batch_sizes: List[int],
    initial: LstmState,
    cell_clip: Optional[float],
    projection_clip: Optional[float],
) -> Tuple[torch.Tensor, LstmState]:
    """
    The recurrence of one ELMo LSTM layer, both directions at once, over a packed batch
    (time-major, longest sequence first): per step, the gates are the step's input product plus
    the previous hidden state times `recurrent`; the memory is clipped to `cell_clip`, and the
    hidden state is the projection of the output, clipped to `projection_clip`.

    Where gradients are needed, the steps run inside `LstmLayerBackpropagation`, which computes the
    same forward values and back-propagates through time by hand: one autograd node a layer
    instead of about twenty a step, and the weights' gradients as two large products over all
    positions instead of two small ones a step.

    # Parameters

    gates_from_input : `torch.Tensor`
        `(2, positions, 4 * cell)`: the input product and bias of every packed position, in
        TensorFlow's gate order i, j, f, o.
    recurrent : `torch.Tensor`
        `(2, hidden, 4 * cell)`.
    projection : `torch.Tensor`
        `(2, cell, hidden)`.
    batch_sizes : `List[int]`
        The packed batch's number of active sequences at each step.
    initial : `Tuple[torch.Tensor, torch.Tensor]`
        Hidden `(2, num_sequences, hidden)` and memory `(2, num_sequences, cell)` to start from.
    cell_clip, projection_clip : `float`, optional
        `None`: no clipping.

    # Returns

    The packed hidden states `(2, positions, hidden)` and each sequence's final hidden state and
    memory, `(2, num_sequences, hidden)` and `(2, num_sequences, cell)`; no gradient flows back
    through the final states (the stateful LSTM detaches them).
    """
    tensors = (gates_from_input, recurrent, projection, *initial)
    if torch.is_grad_enabled() and any(tensor.requires_grad for tensor in tensors):
        outputs, hidden, memory = LstmLayerBackpropagation.apply(
            *tensors, batch_sizes, cell_clip, projection_clip
        )
        return outputs, (hidden, memory)
    clips = (cell_clip, projection_clip)
    outputs, final, _ = _run_steps(tensors[:3], initial, batch_sizes, clips, keep=False)
    return outputs, final


class _Step(NamedTuple):
    """What the backward pass needs of one step, each `(2, active sequences, size)`."""

    # i, j, f, o after their activations.
    gates: Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
    previous_hidden: torch.Tensor
    previous_memory: torch.Tensor
    # Before the clip.
    memory: torch.Tensor
    tanh_memory: torch.Tensor
    # The projection's input, o * tanh(memory).
    projected: torch.Tensor
    # Before the clip.
    hidden: torch.Tensor


def _run_steps(
    weights: Tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    initial: LstmState,
    batch_sizes: List[int],
    clips: Tuple[Optional[float], Optional[float]],
    keep: bool,
) -> Tuple[torch.Tensor, LstmState, List[_Step]]:
    """
    The steps over `weights` (gates from the input, recurrent, projection), with exactly the same
    operations whether or not `keep` records what the backward pass needs (so training and
    inference compute the same values).
    """
    gates_from_input, recurrent, projection = weights
    hidden, memory = initial
    cell_clip, projection_clip = clips
    outputs: List[torch.Tensor] = []
    finished_hidden: List[torch.Tensor] = []
    finished_memory: List[torch.Tensor] = []
    steps: List[_Step] = []
    # One split, not a slice per step: a slice's gradient is a zero tensor of the whole input.
    step_inputs = gates_from_input.split(batch_sizes, dim=1)
    for step, active in enumerate(batch_sizes):
        if active < hidden.size(1):
            # Sequences `active..` ended at the previous step: keep their final states.
            finished_hidden.append(hidden[:, active:])
            finished_memory.append(memory[:, active:])
            hidden, memory = hidden[:, :active], memory[:, :active]
        gates = torch.baddbmm(step_inputs[step], hidden, recurrent)
        input_gate, new_memory, forget_gate, output_gate = gates.chunk(4, dim=-1)
        activated = (
            torch.sigmoid(input_gate),
            torch.tanh(new_memory),
            torch.sigmoid(forget_gate),
            torch.sigmoid(output_gate),
        )
        unclipped_memory = activated[0] * activated[1] + activated[2] * memory
        new_cell = unclipped_memory
        if cell_clip is not None:
            new_cell = torch.clamp(unclipped_memory, -cell_clip, cell_clip)
        tanh_memory = torch.tanh(new_cell)
        projected = activated[3] * tanh_memory
        unclipped_hidden = torch.bmm(projected, projection)
        new_hidden = unclipped_hidden
        if projection_clip is not None:
            new_hidden = torch.clamp(unclipped_hidden, -projection_clip, projection_clip)
        if keep:
            steps.append(
                _Step(
                    gates=activated,
                    previous_hidden=hidden,
                    previous_memory=memory,
                    memory=unclipped_memory,
                    tanh_memory=tanh_memory,
                    projected=projected,
                    hidden=unclipped_hidden,
                )
            )
        hidden, memory = new_hidden, new_cell
        outputs.append(hidden)
    finished_hidden.append(hidden)
    finished_memory.append(memory)
    # Finished blocks were collected from the last rows upwards.
    final = (torch.cat(finished_hidden[::-1], dim=1), torch.cat(finished_memory[::-1], dim=1))
    return torch.cat(outputs, dim=1), final, steps


def _inside(values: torch.Tensor, clip: Optional[float]) -> Optional[torch.Tensor]:
    """Where `clamp(values, -clip, clip)` passes gradients (its bounds included), or `None`."""
    return None if clip is None else values.abs() <= clip


class LstmLayerBackpropagation(torch.autograd.Function):
    """
    `run_lstm_layer` as one autograd node, with back-propagation through time written out (the
    derivatives autograd would take of the same steps; weight gradients summed over positions in
    one product, so they agree with autograd's to float rounding, not bit for bit).
    """

    @staticmethod
    def forward(
        ctx: Any,
        gates_from_input: torch.Tensor,
        recurrent: torch.Tensor,
        projection: torch.Tensor,
        hidden: torch.Tensor,
        memory: torch.Tensor,
        batch_sizes: List[int],
        cell_clip: Optional[float],
        projection_clip: Optional[float],
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        ctx.clips = (cell_clip, projection_clip)
        outputs, (final_hidden, final_memory), steps = _run_steps(
            (gates_from_input, recurrent, projection),
            (hidden, memory),
            batch_sizes,
            ctx.clips,
            keep=True,
        )
        ctx.save_for_backward(recurrent, projection)
        ctx.steps = steps
        ctx.batch_sizes = batch_sizes
        ctx.gates_shape = gates_from_input.shape
        ctx.mark_non_differentiable(final_hidden, final_memory)
        return outputs, final_hidden, final_memory

    @staticmethod
    @once_differentiable
    def backward(
        ctx: Any, grad_outputs: torch.Tensor, *unused: Any
    ) -> Tuple[Optional[torch.Tensor], ...]:
        recurrent, projection = ctx.saved_tensors
        steps: List[_Step] = ctx.steps
        batch_sizes: List[int] = ctx.batch_sizes
        cell_clip, projection_clip = ctx.clips
        # autograd's own derivative kernels (`grad_input=` writes into the gates' gradient).
        sigmoid_backward_into = torch.ops.aten.sigmoid_backward.grad_input
        tanh_backward_into = torch.ops.aten.tanh_backward.grad_input
        grad_gates = grad_outputs.new_empty(ctx.gates_shape)
        # Per step, in the packed layout: the gradient of the hidden state before its clip (for
        # the projection's gradient).
        grad_hidden = torch.empty_like(grad_outputs)
        recurrent_t, projection_t = recurrent.transpose(1, 2), projection.transpose(1, 2)
        # From step t + 1 back to step t: gradients of its starting hidden state and memory
        # (as many rows as were active at t + 1).
        carried_hidden: Optional[torch.Tensor] = None
        carried_memory: Optional[torch.Tensor] = None
        end = grad_outputs.size(1)
        for index in range(len(batch_sizes) - 1, -1, -1):
            step, active = steps[index], batch_sizes[index]
            start = end - active
            d_hidden = grad_outputs[:, start:end]
            if carried_hidden is not None:
                d_hidden = d_hidden.clone()
                d_hidden[:, : carried_hidden.size(1)] += carried_hidden
            inside = _inside(step.hidden, projection_clip)
            target = grad_hidden[:, start:end]
            if inside is None:
                target.copy_(d_hidden)
            else:
                torch.mul(d_hidden, inside, out=target)
            input_gate, new_memory, forget_gate, output_gate = step.gates
            d_output = torch.bmm(target, projection_t)
            d_memory = torch.ops.aten.tanh_backward.default(
                d_output * output_gate, step.tanh_memory
            )
            if carried_memory is not None:
                d_memory[:, : carried_memory.size(1)] += carried_memory
            inside = _inside(step.memory, cell_clip)
            if inside is not None:
                d_memory = d_memory * inside
            d_input, d_new, d_forget, d_out = grad_gates[:, start:end].chunk(4, dim=-1)
            sigmoid_backward_into(d_memory * new_memory, input_gate, grad_input=d_input)
            tanh_backward_into(d_memory * input_gate, new_memory, grad_input=d_new)
            sigmoid_backward_into(d_memory * step.previous_memory, forget_gate, grad_input=d_forget)
            sigmoid_backward_into(d_output * step.tanh_memory, output_gate, grad_input=d_out)
            carried_memory = d_memory * forget_gate
            carried_hidden = torch.bmm(grad_gates[:, start:end], recurrent_t)
            end = start
        # The weights' gradients: one product over all positions each.
        grad_recurrent = grad_projection = None
        if ctx.needs_input_grad[1]:
            previous = torch.cat([step.previous_hidden for step in steps], dim=1)
            grad_recurrent = torch.bmm(previous.transpose(1, 2), grad_gates)
        if ctx.needs_input_grad[2]:
            projected = torch.cat([step.projected for step in steps], dim=1)
            grad_projection = torch.bmm(projected.transpose(1, 2), grad_hidden)
        grad_hidden_start = carried_hidden if ctx.needs_input_grad[3] else None
        grad_memory_start = carried_memory if ctx.needs_input_grad[4] else None
        return (
            grad_gates,
            grad_recurrent,
            grad_projection,
            grad_hidden_start,
            grad_memory_start,
            None,
            None,
            None,
        )
