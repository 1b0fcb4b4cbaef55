"""
The engine against AllenNLP's own `_ElmoBiLm` on the same files: every layer, over sequences of
batches (the biLM carries its state from batch to batch), forward and backward.
"""

import pytest
import torch
from allennlp.common.testing import AllenNlpTestCase
from allennlp.modules.elmo import _ElmoBiLm, batch_to_ids

from allennlp_multilang_elmo.modules.elmo_bilm import ElmoBiLm
from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options, write_elmo_model

SENTENCES = [
    ["The", "cat", "sat", "on", "the", "mat", "."],
    ["Die", "Katze", "schläft"],
    ["Un"],
    ["Le", "chat", "dort", "bien", "ici", ",", "sur", "le", "tapis", "."],
]
LONG = [f"w{i % 37}" for i in range(120)]


def batches():
    yield SENTENCES
    yield [["x"]]  # batch size 1, length 1
    yield [LONG, ["short", "one"]]  # long sentence beside a short one: heavy padding
    yield SENTENCES + [[]] + SENTENCES[:2]  # an empty instance in the middle
    yield list(reversed(SENTENCES))  # fewer rows than the carried state has
    yield [LONG]


def gradients_in_allennlp_layout(engine: ElmoBiLm):
    """The engine's gradients under AllenNLP's `_ElmoBiLm` parameter names and layouts."""

    def gates(matrix):  # bilm-tf's gate order (i, j, f, o) -> AllenNLP's (i, f, j, o), rows
        i, j, f, o = matrix.chunk(4, dim=0)
        return torch.cat([i, f, j, o])

    encoder, lstm = engine._token_encoder, engine._lstm
    grads = {"_token_embedder._char_embedding_weights": encoder.char_embedding.grad}
    for i, (weight, bias) in enumerate(zip(encoder.conv_weights, encoder.conv_biases)):
        grads[f"_token_embedder.char_conv_{i}.weight"] = weight.grad
        grads[f"_token_embedder.char_conv_{i}.bias"] = bias.grad
    for k, (weight, bias) in enumerate(zip(encoder.highway_weights, encoder.highway_biases)):
        grads[f"_token_embedder._highways._layers.{k}.weight"] = weight.grad.T
        grads[f"_token_embedder._highways._layers.{k}.bias"] = bias.grad
    grads["_token_embedder._projection.weight"] = encoder.projection_weight.grad.T
    grads["_token_embedder._projection.bias"] = encoder.projection_bias.grad
    for layer in range(lstm.num_layers):
        for direction, name in enumerate(["forward", "backward"]):
            prefix = f"_elmo_lstm.{name}_layer_{layer}"
            grads[f"{prefix}.input_linearity.weight"] = gates(
                lstm.input_weights[layer].grad[direction].T
            )
            grads[f"{prefix}.state_linearity.weight"] = gates(
                lstm.recurrent_weights[layer].grad[direction].T
            )
            grads[f"{prefix}.state_linearity.bias"] = gates(lstm.biases[layer].grad[direction, 0])
            grads[f"{prefix}.state_projection.weight"] = lstm.projections[layer].grad[direction].T
    return grads


def max_difference(expected, actual) -> float:
    return max((e - a).abs().max().item() for e, a in zip(expected, actual))


def max_relative_difference(expected, actual) -> float:
    """
    The largest difference, each layer's relative to its largest value (at least 1): float32
    rounding is relative, and the LSTM layers' values reach 4.5 here.
    """
    return max(
        (e - a).abs().max().item() / max(1.0, e.abs().max().item())
        for e, a in zip(expected, actual)
    )


class TestElmoBiLm(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        # Three layers and clips that fire: the statefulness and the residuals of every layer count.
        options = elmo_options(n_layers=3, cell_clip=1.0, proj_clip=1.5)
        self.files = write_elmo_model(str(self.TEST_DIR / "elmo"), seed=4, options=options)

    def test_matches_allennlp_over_a_sequence_of_batches(self):
        reference, engine = _ElmoBiLm(*self.files), ElmoBiLm(*self.files)
        with torch.no_grad():
            for batch in batches():
                char_ids = batch_to_ids(batch)
                expected, actual = reference(char_ids), engine(char_ids)
                assert torch.equal(expected["mask"], actual["mask"])
                assert len(actual["activations"]) == 4
                # The convolutions see only the character positions they need, and the kernel
                # they get for that width rounds differently: over the 120-step sentence, through
                # three layers with clips, the difference grows to 1.3e-5 on values of 5 (3e-6 of
                # them), against 5e-6 with all 50 positions.
                assert (
                    max_relative_difference(expected["activations"], actual["activations"]) <= 1e-5
                )
        # The carried states are AllenNLP's too (rounding accumulates over the 120-step sentence).
        for expected, actual in zip(reference._elmo_lstm._states, engine._lstm._states):
            assert (expected - actual).abs().max().item() <= 1e-4

    def test_cached_vocabulary_and_word_inputs(self):
        vocab = sorted({w for s in SENTENCES for w in s})
        reference = _ElmoBiLm(*self.files, vocab_to_cache=vocab)
        engine = ElmoBiLm(*self.files, vocab_to_cache=vocab)
        for batch in [SENTENCES, SENTENCES[1:3], [["unknown", "words"]]]:
            char_ids = batch_to_ids(batch)
            word_ids = torch.tensor(
                [
                    [vocab.index(w) if w in vocab else len(vocab) + 5 for w in s]
                    + [0] * (char_ids.size(1) - len(s))
                    for s in batch
                ]
            )
            with torch.no_grad():
                expected, actual = reference(char_ids, word_ids), engine(char_ids, word_ids)
            assert torch.equal(expected["mask"], actual["mask"])
            assert max_difference(expected["activations"], actual["activations"]) <= 1e-5

    def test_gradients_match_allennlp(self):
        reference = _ElmoBiLm(*self.files, requires_grad=True)
        engine = ElmoBiLm(*self.files, requires_grad=True)
        weights = torch.randn(4, 16, generator=torch.Generator().manual_seed(0))
        for module in (reference, engine):
            for batch in [SENTENCES, [LONG, ["a"]]]:  # gradients of two batches in a row
                activations = module(batch_to_ids(batch))["activations"]
                sum((a * w).sum() for a, w in zip(activations, weights)).backward()
        expected = {name: p.grad for name, p in reference.named_parameters()}
        actual = gradients_in_allennlp_layout(engine)
        assert set(actual) == set(expected)
        for name, gradient in expected.items():
            scale = max(1.0, gradient.abs().max().item())
            assert (gradient - actual[name]).abs().max().item() <= 1e-4 * scale, name

    def test_skipped_layers_change_nothing_below_them(self):
        full, partial = ElmoBiLm(*self.files), ElmoBiLm(*self.files)
        with torch.no_grad():
            for batch in batches():
                char_ids = batch_to_ids(batch)
                expected = full(char_ids)["activations"]
                actual = partial(char_ids, num_layers=2)["activations"]
                assert max_difference(expected[:2], actual[:2]) <= 1e-6
                assert all(a.abs().sum() == 0 for a in actual[2:])

    def test_deterministic_mode_ignores_batch_and_history(self):
        engine = ElmoBiLm(*self.files)
        engine.deterministic(True)
        with torch.no_grad():
            together = engine(batch_to_ids(SENTENCES))["activations"]
            for batch in batches():  # any history in between
                engine(batch_to_ids(batch))
            for row, sentence in enumerate(SENTENCES):
                alone = engine(batch_to_ids([sentence]))["activations"]
                positions = len(sentence) + 2
                for layer, expected in zip(alone, together):
                    difference = (layer[0, :positions] - expected[row, :positions]).abs().max()
                    assert difference.item() <= 1e-6
        # ... and differs from the carried-state default after some history.
        stateful = ElmoBiLm(*self.files)
        with torch.no_grad():
            stateful(batch_to_ids([LONG]))
            carried = stateful(batch_to_ids(SENTENCES))["activations"]
        assert max_difference(together[1:], carried[1:]) > 1e-3

    def test_carried_state_round_trip(self):
        first, second = ElmoBiLm(*self.files), ElmoBiLm(*self.files)
        with torch.no_grad():
            first(batch_to_ids(SENTENCES))
            second.restore_carried_state(first.carried_state())
            expected = first(batch_to_ids([LONG]))["activations"]
            actual = second(batch_to_ids([LONG]))["activations"]
        assert max_difference(expected, actual) == 0

    @pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
    def test_cuda_matches_allennlp(self):
        reference = _ElmoBiLm(*self.files).cuda()
        engine = ElmoBiLm(*self.files).cuda()
        with torch.no_grad():
            for batch in batches():
                char_ids = batch_to_ids(batch).cuda()
                expected, actual = reference(char_ids), engine(char_ids)
                assert max_difference(expected["activations"], actual["activations"]) <= 1e-5
