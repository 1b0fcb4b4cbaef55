import numpy
import pytest
import torch
from allennlp.modules.elmo import Elmo, _ElmoBiLm, batch_to_ids

from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options, write_elmo_model
from helpers.rotated_twin import write_rotated_twin

BATCHES = [
    [["The", "twin", "is", "a", "rotation", "."], ["Short", "one"]],
    [["Another", "batch", ",", "with", "the", "state", "carried", "over", "."]],
]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("twin")
    options, weights = write_elmo_model(str(root / "original"), 4, elmo_options(proj_clip=1000.0))
    return (options, weights), write_rotated_twin(options, weights, str(root / "twin"), seed=2)


def test_every_layer_of_the_twin_is_the_rotated_original(models):
    (options, weights), twin = models
    original, rotated = _ElmoBiLm(options, weights).eval(), _ElmoBiLm(*twin[:2]).eval()
    half = 8
    with torch.no_grad():
        for batch in BATCHES:
            ids = batch_to_ids(batch)
            expected, actual = original(ids), rotated(ids)
            assert torch.equal(expected["mask"], actual["mask"])
            for layer, rotation in enumerate(twin.rotations):
                x = expected["activations"][layer].double().numpy()
                y = actual["activations"][layer].double().numpy()
                numpy.testing.assert_allclose(x @ rotation.T, y, atol=2e-5)
                # Per direction halves: one rotation each, both LSTM layers alike.
                numpy.testing.assert_allclose(rotation[:half, half:], 0)
                numpy.testing.assert_allclose(rotation[half:, :half], 0)
                assert numpy.abs(x - y).max() > 0.1
    numpy.testing.assert_array_equal(twin.rotations[1], twin.rotations[2])
    for rotation in twin.rotations:
        numpy.testing.assert_allclose(rotation @ rotation.T, numpy.eye(16), atol=1e-12)


def test_elmo_of_the_twin_aligned_back_equals_the_original(models):
    (options, weights), twin = models
    mix = [-9e10, 1.0, 2.0]
    original = Elmo(options, weights, 1, dropout=0.0, scalar_mix_parameters=mix).eval()
    rotated = Elmo(*twin[:2], 1, dropout=0.0, scalar_mix_parameters=mix).eval()
    inverse = torch.tensor(twin.rotations[1].T, dtype=torch.float32)
    with torch.no_grad():
        for batch in BATCHES:
            expected = original(batch_to_ids(batch))["elmo_representations"][0]
            actual = rotated(batch_to_ids(batch))["elmo_representations"][0] @ inverse.T
            assert (expected - actual).abs().max() < 2e-5


def test_a_projection_clip_that_could_fire_is_refused(tmp_path):
    options, weights = write_elmo_model(str(tmp_path / "original"), 4, elmo_options(proj_clip=3.0))
    with pytest.raises(ValueError, match=r"proj_clip 3.0 of .*options.json may fire"):
        write_rotated_twin(options, weights, str(tmp_path / "twin"))
    assert not (tmp_path / "twin").exists()
