import zipfile

import numpy
import pytest
import torch
from allennlp.common.testing import AllenNlpTestCase
from allennlp.modules.elmo import Elmo, batch_to_ids

from allennlp_multilang_elmo.testing import (
    elmo_options,
    random_orthogonal,
    write_alignment,
    write_elmo_model,
    write_multilang_elmo,
)

SENTENCES = [["Hello", "world", "!"], ["A", "b"]]


def _elmo_output(options_file: str, weight_file: str):
    elmo = Elmo(options_file, weight_file, num_output_representations=1, dropout=0.0).eval()
    with torch.no_grad():
        output = elmo(batch_to_ids(SENTENCES))
    return output["elmo_representations"][0], output["mask"]


class TestElmoFactory(AllenNlpTestCase):
    def test_allennlp_elmo_loads_the_written_model(self):
        representations, mask = _elmo_output(*write_elmo_model(str(self.TEST_DIR / "elmo"), seed=0))
        assert representations.shape == (2, 3, 2 * elmo_options()["lstm"]["projection_dim"])
        assert mask.tolist() == [[True, True, True], [True, True, False]]
        assert torch.isfinite(representations).all()
        # Real words get non-trivial vectors.
        assert representations[mask].abs().sum(dim=-1).min() > 0

    def test_output_dimension_follows_the_options(self):
        options = elmo_options(projection_dim=4, cell_dim=8, n_layers=1)
        files = write_elmo_model(str(self.TEST_DIR / "elmo"), seed=0, options=options)
        representations, _ = _elmo_output(*files)
        assert representations.shape == (2, 3, 8)

    def test_seeds_give_different_models_and_the_same_seed_the_same(self):
        first, _ = _elmo_output(*write_elmo_model(str(self.TEST_DIR / "a"), seed=1))
        again, _ = _elmo_output(*write_elmo_model(str(self.TEST_DIR / "b"), seed=1))
        other, _ = _elmo_output(*write_elmo_model(str(self.TEST_DIR / "c"), seed=2))
        assert torch.equal(first, again)
        assert not torch.allclose(first, other)

    def test_alignment_round_trips_in_every_format(self):
        matrix = random_orthogonal(6, seed=3)
        torch_file = write_alignment(str(self.TEST_DIR / "w.pth"), matrix, "torch")
        loaded = torch.load(torch_file)
        assert loaded.dtype == torch.float32
        numpy.testing.assert_allclose(loaded.numpy(), matrix, rtol=1e-6, atol=1e-6)
        assert zipfile.is_zipfile(torch_file)

        # MUSE's released mappings: a pickled numpy array in torch's legacy (pre-zip) format. It is
        # our own file, so a full (not weights-only) load is fine here.
        muse_file = write_alignment(str(self.TEST_DIR / "w_muse.pth"), matrix, "muse")
        assert not zipfile.is_zipfile(muse_file)
        numpy.testing.assert_array_equal(torch.load(muse_file, weights_only=False), matrix)

        npy_file = write_alignment(str(self.TEST_DIR / "w.npy"), matrix, "npy")
        numpy.testing.assert_array_equal(numpy.load(npy_file), matrix)

        with pytest.raises(ValueError, match="unknown alignment file format"):
            write_alignment(str(self.TEST_DIR / "w.txt"), matrix, "txt")

    def test_random_orthogonal_is_a_scaled_rotation(self):
        matrix = random_orthogonal(5, seed=0, scale=2.0)
        numpy.testing.assert_allclose(matrix @ matrix.T, 4.0 * numpy.eye(5), atol=1e-10)
        assert not numpy.allclose(matrix, random_orthogonal(5, seed=1, scale=2.0))

    def test_multilang_model_aligns_every_language_but_the_first(self):
        files = write_multilang_elmo(str(self.TEST_DIR / "multi"), ["en", "de", "fr"])
        assert set(files["options_files"]) == set(files["weight_files"]) == {"en", "de", "fr"}
        assert set(files["aligning_files"]) == {"de", "fr"}
        en, _ = _elmo_output(files["options_files"]["en"], files["weight_files"]["en"])
        de, _ = _elmo_output(files["options_files"]["de"], files["weight_files"]["de"])
        assert not torch.allclose(en, de)
        alignment = torch.load(files["aligning_files"]["de"], weights_only=False)
        numpy.testing.assert_allclose(alignment @ alignment.T, numpy.eye(16), atol=1e-10)
