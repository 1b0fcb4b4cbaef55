"""The log-sum-exp sampled softmax against AllenNLP's `SampledSoftmaxLoss` on the same samples."""

import numpy
import pytest
import torch
from allennlp.modules.sampled_softmax_loss import SampledSoftmaxLoss

from allennlp_multilang_elmo.modules.sampled_softmax_loss import (
    LogSumExpSampledSoftmaxLoss,
    full_softmax_negative_log_likelihood,
)

NUM_WORDS, DIM, SAMPLES = 300, 16, 64


def losses_and_gradients(module, embeddings, targets, seed):
    embeddings = embeddings.clone().requires_grad_()
    module.zero_grad()
    # AllenNLP's sampler draws from numpy's global generator.
    numpy.random.seed(seed)
    loss = module(embeddings, targets)
    loss.backward()
    return loss.detach(), [embeddings.grad, module.softmax_w.grad, module.softmax_b.grad]


@pytest.mark.parametrize("training", [True, False])
def test_same_loss_and_gradients_as_allennlp(training):
    torch.manual_seed(0)
    reference = SampledSoftmaxLoss(NUM_WORDS, DIM, SAMPLES)
    with torch.no_grad():
        reference.softmax_b.normal_()
    engine = LogSumExpSampledSoftmaxLoss(NUM_WORDS, DIM, SAMPLES)
    engine.load_state_dict(reference.state_dict())
    reference.train(training)
    engine.train(training)
    embeddings = torch.randn(500, DIM)
    # Frequent words (low ids) as targets: many of them are also drawn as samples.
    targets = torch.randint(0, 20, (500,))
    for seed in range(3):
        expected, expected_grads = losses_and_gradients(reference, embeddings, targets, seed)
        actual, actual_grads = losses_and_gradients(engine, embeddings, targets, seed)
        assert (actual - expected).abs().item() <= 1e-6 * expected.abs().item()
        for wanted, got in zip(expected_grads, actual_grads):
            assert (got - wanted).abs().max().item() <= 1e-5 * wanted.abs().max().item()


def test_accidental_hits_are_no_negatives():
    engine = LogSumExpSampledSoftmaxLoss(NUM_WORDS, DIM, SAMPLES)
    embeddings = torch.randn(40, DIM)
    # Every position's target is word 0, the sampler's most likely word: it is always drawn.
    targets = torch.zeros(40, dtype=torch.long)
    numpy.random.seed(0)
    sampled_ids, _, _ = engine.log_uniform_candidate_sampler(targets, engine.choice_func)
    assert (sampled_ids == 0).any()
    numpy.random.seed(0)
    loss = engine(embeddings, targets)
    with torch.no_grad():
        # Without word 0 among the negatives (its sampled copy excluded), by hand.
        numpy.random.seed(0)
        ids, target_count, sampled_count = engine.log_uniform_candidate_sampler(
            targets, engine.choice_func
        )
        w, b = engine.softmax_w, engine.softmax_b
        true = embeddings @ w[0] + b[0] - torch.log(target_count)
        sampled = embeddings @ w[ids].T + b[ids] - torch.log(sampled_count)
        sampled = sampled[:, ids != 0]
        expected = (torch.logsumexp(torch.cat([true[:, None], sampled], 1), 1) - true).sum()
    assert torch.allclose(loss, expected, rtol=1e-6)


@pytest.mark.parametrize("num_words", [300, 40_000])
def test_full_softmax_without_gradient_in_blocks_equals_log_softmax(num_words):
    # 40,000 words: blocks of 16 positions, the last one partial.
    torch.manual_seed(1)
    weight, bias = torch.randn(num_words, DIM), torch.randn(num_words)
    embeddings = torch.randn(90, DIM)
    targets = torch.randint(0, num_words, (90,))
    log_probabilities = torch.log_softmax(embeddings @ weight.t() + bias, dim=-1)
    expected = torch.nn.functional.nll_loss(log_probabilities, targets, reduction="sum")
    actual = full_softmax_negative_log_likelihood(embeddings, weight, bias, targets)
    assert (actual - expected).abs().item() <= 1e-6 * expected.abs().item()
    # With a gradient: the cross-entropy of all logits, as AllenNLP computes it.
    embeddings.requires_grad_()
    expected_loss = torch.nn.functional.cross_entropy(
        embeddings @ weight.t() + bias, targets, reduction="sum"
    )
    (expected_grad,) = torch.autograd.grad(expected_loss, [embeddings])
    loss = full_softmax_negative_log_likelihood(embeddings, weight, bias, targets)
    (grad,) = torch.autograd.grad(loss, [embeddings])
    assert (grad - expected_grad).abs().max().item() <= 1e-6 * expected_grad.abs().max().item()


def test_full_softmax_of_no_positions_is_zero():
    weight, bias = torch.randn(300, DIM), torch.randn(300)
    embeddings, targets = torch.randn(0, DIM), torch.zeros(0, dtype=torch.long)
    loss = full_softmax_negative_log_likelihood(embeddings, weight, bias, targets)
    assert loss.item() == 0.0
