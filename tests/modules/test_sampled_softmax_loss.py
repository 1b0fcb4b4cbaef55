"""The log-sum-exp sampled softmax against AllenNLP's `SampledSoftmaxLoss` on the same samples."""

import numpy
import pytest
import torch
from allennlp.modules.sampled_softmax_loss import SampledSoftmaxLoss

from allennlp_multilang_elmo.modules.sampled_softmax_loss import LogSumExpSampledSoftmaxLoss

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
