import zipfile

import h5py
import numpy
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import AllenNlpTestCase
from allennlp.modules.elmo import Elmo, batch_to_ids

from allennlp_multilang_elmo.modules.alignment_matrix import write_alignment
from allennlp_multilang_elmo.modules.tiny_elmo import (
    elmo_options,
    random_orthogonal,
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


class TestReleasedLayoutAndChecks(AllenNlpTestCase):
    def test_released_layout_names_and_alignments(self):
        directory = self.TEST_DIR / "released"
        files = write_multilang_elmo(str(directory), ["en", "es"], layout="released")
        assert sorted(p.name for p in directory.iterdir()) == [
            "en_best_mapping.pth",
            "en_weights.hdf5",
            "es_best_mapping.pth",
            "es_weights.hdf5",
            "options262.json",
        ]
        assert files["options_files"] == {
            lang: str(directory / "options262.json") for lang in ("en", "es")
        }
        assert files["weight_files"]["es"] == str(directory / "es_weights.hdf5")
        # The first language is the shared space: its released mapping is the identity.
        en = torch.load(files["aligning_files"]["en"], weights_only=False)
        es = torch.load(files["aligning_files"]["es"], weights_only=False)
        numpy.testing.assert_array_equal(en, numpy.eye(16))
        numpy.testing.assert_allclose(es @ es.T, numpy.eye(16), atol=1e-10)
        assert not numpy.allclose(es, numpy.eye(16))
        representations, _ = _elmo_output(files["options_files"]["es"], files["weight_files"]["es"])
        assert representations.shape == (2, 3, 16)

    @pytest.mark.parametrize("language", ["../x", "a/b", "", ".", "en.x", "/tmp", "1en", "x" * 17])
    def test_languages_that_are_not_plain_codes_write_nothing(self, language):
        directory = self.TEST_DIR / "out"
        with pytest.raises(ConfigurationError, match="is not a plain language code"):
            write_multilang_elmo(str(directory), ["en", language])
        assert not directory.exists() and not (self.TEST_DIR / "x").exists()

    def test_repeated_language_and_unknown_layout_write_nothing(self):
        directory = self.TEST_DIR / "out"
        with pytest.raises(ConfigurationError, match="Languages given more than once: en"):
            write_multilang_elmo(str(directory), ["en", "de", "en"])
        with pytest.raises(ConfigurationError, match="Unknown layout 'flat'"):
            write_multilang_elmo(str(directory), ["en"], layout="flat")
        assert not directory.exists()

    @pytest.mark.parametrize(
        "sizes, name",
        [
            ({"projection_dim": 0}, "lstm.projection_dim"),
            ({"cell_dim": -3}, "lstm.dim"),
            ({"n_layers": 0}, "lstm.n_layers"),
            ({"char_dim": 0}, "char_cnn.embedding.dim"),
            ({"n_highway": -1}, "char_cnn.n_highway"),
            ({"filters": ((1, 4), (0, 8))}, r"char_cnn.filters\[1\] width"),
            ({"filters": ()}, "char_cnn.filters must be a non-empty list"),
        ],
    )
    def test_non_positive_sizes_are_refused_before_writing(self, sizes, name):
        with pytest.raises(ConfigurationError, match=name):
            elmo_options(**sizes)

    def test_hand_built_options_are_checked_before_writing(self):
        options = elmo_options()
        options["lstm"]["projection_dim"] = 0
        directory = self.TEST_DIR / "out"
        with pytest.raises(
            ConfigurationError, match="lstm.projection_dim must be a positive integer"
        ):
            write_multilang_elmo(str(directory), ["en"], options)
        assert not directory.exists()

    def test_existing_files_are_kept_without_overwrite(self):
        directory = str(self.TEST_DIR / "out")
        files = write_multilang_elmo(directory, ["en", "de"], layout="released")
        before = open(files["weight_files"]["de"], "rb").read()
        with pytest.raises(
            ConfigurationError, match="options262.json already exists; pass --force"
        ):
            write_multilang_elmo(
                directory, ["en", "de"], layout="released", base_seed=5, overwrite=False
            )
        assert open(files["weight_files"]["de"], "rb").read() == before
        write_multilang_elmo(directory, ["en", "de"], layout="released", base_seed=5)
        assert open(files["weight_files"]["de"], "rb").read() != before

    def test_a_failed_write_leaves_no_file(self, monkeypatch):
        directory = self.TEST_DIR / "out"
        calls = []

        def failing_create_dataset(group, name, **kwargs):
            calls.append(name)
            if len(calls) == 3:
                raise OSError("disk full")
            return create_dataset(group, name, **kwargs)

        create_dataset = h5py.Group.create_dataset
        monkeypatch.setattr(h5py.Group, "create_dataset", failing_create_dataset)
        with pytest.raises(OSError, match="disk full"):
            write_elmo_model(str(directory), seed=0)
        # The options were complete; the half-written weights are gone, temporary file included.
        assert sorted(p.name for p in directory.iterdir()) == ["options.json"]
