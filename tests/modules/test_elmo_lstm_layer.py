"""
The hand-written back-propagation through time of one LSTM layer against autograd differentiating
the very same steps: every input's gradient, with clips that fire and ragged sequences.
"""

import pytest
import torch

from allennlp_multilang_elmo.modules.elmo_lstm_layer import _run_steps, run_lstm_layer

HIDDEN, CELL = 8, 16
# Five sequences of lengths 6, 4, 4, 2 and 1: a packed batch's active rows at each step.
BATCH_SIZES = [5, 4, 4, 4, 1, 1]


def layer_inputs(seed: int):
    generator = torch.Generator().manual_seed(seed)
    positions, num_sequences = sum(BATCH_SIZES), BATCH_SIZES[0]

    def random(*shape, scale=1.0):
        return (torch.randn(*shape, generator=generator) * scale).requires_grad_()

    return [
        random(2, positions, 4 * CELL, scale=2.0),
        random(2, HIDDEN, 4 * CELL, scale=0.5),
        random(2, CELL, HIDDEN, scale=0.8),
        random(2, num_sequences, HIDDEN),
        random(2, num_sequences, CELL, scale=3.0),
    ]


@pytest.mark.parametrize("clips", [(None, None), (1.0, 0.5), (3.0, 3.0)])
def test_gradients_are_autograds_of_the_same_steps(clips):
    engine = layer_inputs(seed=0)
    reference = [tensor.detach().clone().requires_grad_() for tensor in engine]
    outputs, (hidden, memory) = run_lstm_layer(*engine[:3], BATCH_SIZES, tuple(engine[3:]), *clips)
    expected, (expected_hidden, expected_memory), _ = _run_steps(
        tuple(reference[:3]), tuple(reference[3:]), BATCH_SIZES, clips, keep=False
    )
    # The forward values are the same operations: equal bit for bit.
    assert torch.equal(outputs, expected)
    assert torch.equal(hidden, expected_hidden) and torch.equal(memory, expected_memory)
    if clips[1] is not None:
        assert (outputs.abs() == clips[1]).any()  # the projection clip fires
    weights = torch.randn(outputs.shape, generator=torch.Generator().manual_seed(1))
    (outputs * weights).sum().backward()
    (expected * weights).sum().backward()
    for name, actual, wanted in zip(
        ["gates", "recurrent", "projection", "hidden", "memory"], engine, reference
    ):
        scale = wanted.grad.abs().max().item()
        assert scale > 0, name
        # Weight gradients are summed in one product over all positions instead of step by step.
        assert (actual.grad - wanted.grad).abs().max().item() <= 1e-6 * scale, name


def test_no_graph_without_gradients():
    inputs = [tensor.detach() for tensor in layer_inputs(seed=2)]
    outputs, _ = run_lstm_layer(*inputs[:3], BATCH_SIZES, tuple(inputs[3:]), 3.0, 3.0)
    assert outputs.grad_fn is None
    with torch.no_grad():
        trained = [tensor.requires_grad_() for tensor in layer_inputs(seed=2)]
        outputs, _ = run_lstm_layer(*trained[:3], BATCH_SIZES, tuple(trained[3:]), 3.0, 3.0)
    assert outputs.grad_fn is None


def test_final_states_carry_no_gradient():
    inputs = layer_inputs(seed=3)
    _, (hidden, memory) = run_lstm_layer(*inputs[:3], BATCH_SIZES, tuple(inputs[3:]), None, None)
    assert not hidden.requires_grad and not memory.requires_grad
