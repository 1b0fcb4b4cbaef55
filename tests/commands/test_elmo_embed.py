import json
import os
import subprocess
import sys

import h5py
import numpy
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import AllenNlpTestCase
from allennlp.modules.elmo import _ElmoBiLm, batch_to_ids
from allennlp.nn.util import remove_sentence_boundaries
from helpers.demo_training import REPO_ROOT

from allennlp_multilang_elmo.commands.elmo_embed import embed_file
from allennlp_multilang_elmo.modules.alignment_matrix import write_alignment
from allennlp_multilang_elmo.modules.tiny_elmo import random_orthogonal, write_elmo_model

LINES = ["The cat sat .", "Die Katze schläft", "Un"]


class TestElmoEmbed(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        self.options_file, self.weight_file = write_elmo_model(str(self.TEST_DIR / "elmo"), seed=2)
        self.input_file = str(self.TEST_DIR / "in.txt")
        with open(self.input_file, "w", encoding="utf-8") as f:
            f.write("\n".join(LINES) + "\n")
        self.output = str(self.TEST_DIR / "out.hdf5")

    def expected_layers(self):
        """AllenNLP's biLM on the same sentences in one batch: (layers, batch, tokens, dim)."""
        bilm = _ElmoBiLm(self.options_file, self.weight_file)
        with torch.no_grad():
            output = bilm(batch_to_ids([line.split() for line in LINES]))
        return torch.stack(
            [remove_sentence_boundaries(a, output["mask"])[0] for a in output["activations"]]
        )

    def test_all_layers_match_allennlp(self):
        assert embed_file(self.options_file, self.weight_file, self.input_file, self.output) == 3
        expected = self.expected_layers()
        with h5py.File(self.output, "r") as f:
            for index, line in enumerate(LINES):
                data = f[str(index)][...]
                assert data.shape == (3, len(line.split()), 16)
                numpy.testing.assert_allclose(
                    data, expected[:, index, : len(line.split())].numpy(), atol=1e-5
                )
            assert json.loads(f["sentence_to_index"][0])["Un"] == "2"

    def test_top_average_layers_and_alignment(self):
        matrix = random_orthogonal(16, seed=3)
        align = write_alignment(str(self.TEST_DIR / "align.pth"), matrix)
        expected = self.expected_layers()
        for options, reduce in [
            ({"top": True}, lambda e: e[2]),
            ({"average": True}, lambda e: e.mean(0)),
            ({"layers": [0, 2]}, lambda e: e[[0, 2]]),
            ({"top": True, "align_file": align}, lambda e: e[2] @ torch.tensor(matrix).float().T),
        ]:
            output = str(self.TEST_DIR / f"out{len(os.listdir(self.TEST_DIR))}.hdf5")
            embed_file(self.options_file, self.weight_file, self.input_file, output, **options)
            with h5py.File(output, "r") as f:
                numpy.testing.assert_allclose(
                    f["0"][...], reduce(expected)[..., 0, :4, :].numpy(), atol=1e-5
                )

    def test_bad_input_names_the_line_and_leaves_no_output(self):
        for content, match in [
            (b"good line\n\nafter blank\n", r"in.txt, line 2: blank line"),
            (b"ok\n\xff\xfe broken\n", r"in.txt, line 2: not valid UTF-8"),
            (b"", r"holds no sentence"),
        ]:
            with open(self.input_file, "wb") as f:
                f.write(content)
            with pytest.raises(ConfigurationError, match=match):
                embed_file(self.options_file, self.weight_file, self.input_file, self.output)
            assert not any(name.startswith("out") for name in os.listdir(self.TEST_DIR))

    def test_refuses_to_overwrite_and_bad_layers(self):
        open(self.output, "w").close()
        with pytest.raises(ConfigurationError, match="exists"):
            embed_file(self.options_file, self.weight_file, self.input_file, self.output)
        os.remove(self.output)
        with pytest.raises(ConfigurationError, match=r"--layers \[5\]"):
            embed_file(
                self.options_file, self.weight_file, self.input_file, self.output, layers=[5]
            )
        assert not os.path.exists(self.output)

    @pytest.mark.end_to_end
    def test_command_line(self):
        command = [
            sys.executable,
            "-m",
            "allennlp",
            "elmo-embed",
            self.options_file,
            self.weight_file,
            self.input_file,
            self.output,
            "--top",
            "--deterministic",
            "--tokenized",
        ]
        # The repository's .allennlp_plugins makes the command known.
        subprocess.run(command, check=True, capture_output=True, cwd=REPO_ROOT)
        with h5py.File(self.output, "r") as f:
            assert f["1"].shape == (3, 16)
