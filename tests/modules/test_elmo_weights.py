"""Bad ELMo files are refused where they are read, naming the file, the language and the fault."""

import json

import h5py
import numpy
import pytest
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import AllenNlpTestCase

from allennlp_multilang_elmo.modules.elmo_bilm import ElmoBiLm
from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options, write_elmo_model
from allennlp_multilang_elmo.modules.token_embedders import ElmoTokenEmbedderMultiLang


class TestElmoFileChecks(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        self.options_file, self.weight_file = write_elmo_model(str(self.TEST_DIR / "elmo"), seed=1)

    def refused(self, match: str, options_file=None, weight_file=None) -> str:
        options_file = options_file or self.options_file
        weight_file = weight_file or self.weight_file
        with pytest.raises(ConfigurationError, match=match) as info:
            ElmoTokenEmbedderMultiLang({"sv": options_file}, {"sv": weight_file})
        message = str(info.value)
        assert "'sv'" in message
        return message

    def write_options(self, options) -> str:
        path = str(self.TEST_DIR / "bad_options.json")
        with open(path, "w") as f:
            f.write(options if isinstance(options, str) else json.dumps(options))
        return path

    def test_weights_that_are_not_hdf5(self):
        path = self.TEST_DIR / "weights.txt"
        path.write_text("these are not weights")
        assert str(path) in self.refused("not hdf5, or damaged", weight_file=str(path))

    def test_truncated_weights(self):
        data = open(self.weight_file, "rb").read()
        path = self.TEST_DIR / "truncated.hdf5"
        path.write_bytes(data[: len(data) // 2])
        assert str(path) in self.refused("not hdf5, or damaged", weight_file=str(path))

    def test_missing_dataset(self):
        with h5py.File(self.weight_file, "a") as f:
            del f["CNN_proj/W_proj"]
        self.refused(r"lacks datasets the options call for: CNN_proj/W_proj")

    def test_fewer_layers_in_the_options_than_in_the_weights(self):
        # Before: loaded silently, using only part of the weights.
        options = elmo_options(n_layers=1)
        message = self.refused(
            r"do not describe.*disagree", options_file=self.write_options(options)
        )
        assert "Cell1" in message

    def test_options_geometry_that_disagrees_with_the_weights(self):
        for options, dataset in [
            (elmo_options(projection_dim=6), "CNN_proj/W_proj"),
            (elmo_options(cell_dim=12), "W_0"),
            (elmo_options(filters=((1, 4), (2, 8), (3, 6))), "W_cnn_2"),
            (elmo_options(n_layers=3), "Cell2"),
        ]:
            self.refused(dataset, options_file=self.write_options(options))

    def test_invalid_or_incomplete_options(self):
        self.refused(r"Could not read the ELMo options file", options_file=self.write_options("{"))
        options = elmo_options()
        del options["lstm"]["dim"]
        self.refused(r"lacks lstm.dim", options_file=self.write_options(options))
        options = elmo_options()
        options["char_cnn"]["activation"] = "gelu"
        self.refused(
            r"activation must be 'relu' or 'tanh'", options_file=self.write_options(options)
        )
        options = elmo_options()
        options["lstm"]["n_layers"] = 0
        self.refused(
            r"n_layers must be a positive integer", options_file=self.write_options(options)
        )
        self.refused(r"must hold a JSON object", options_file=self.write_options("[1, 2]"))

    def test_nan_or_inf_in_a_weight(self):
        with h5py.File(self.weight_file, "a") as f:
            f["RNN_1/RNN/MultiRNNCell/Cell0/LSTMCell/B"][3] = numpy.inf
        self.refused(r"Cell0/LSTMCell/B.*NaN or infinite")

    def test_the_engine_reports_the_file_without_a_language(self):
        with h5py.File(self.weight_file, "a") as f:
            f["char_embed"][0, 0] = numpy.nan
        with pytest.raises(ConfigurationError, match=r"char_embed.*NaN") as info:
            ElmoBiLm(self.options_file, self.weight_file)
        assert self.weight_file in str(info.value)
