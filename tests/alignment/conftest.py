"""
The rotated-twin known answer, shared by the alignment tests: a tiny ELMo, its rotated twin, the
anchors of both on the shipped English training treebank, and the per-layer alignment that
`elmo-align` learns from them without a dictionary.
"""

import os
from typing import NamedTuple

import pytest
from helpers.demo_training import REPO_ROOT
from helpers.rotated_twin import RotatedTwin, write_rotated_twin

from allennlp_multilang_elmo.alignment.align import align_anchor_layers
from allennlp_multilang_elmo.alignment.anchors import elmo_anchors
from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options, write_elmo_model

CORPUS = os.path.join(REPO_ROOT, "data", "ud-pud", "en_pud-ud-train.conllu")


class TwinSetting(NamedTuple):
    original_options: str
    original_weights: str
    twin: RotatedTwin
    original_anchors: str
    twin_anchors: str
    alignment: str
    """The learned `(num_layers, dim, dim)` map from the twin onto the original."""


@pytest.fixture(scope="session")
def twin_setting(tmp_path_factory) -> TwinSetting:
    root = tmp_path_factory.mktemp("rotated_twin")
    # A projection clip that never fires (write_rotated_twin checks it).
    options, weights = write_elmo_model(str(root / "original"), 3, elmo_options(proj_clip=1000.0))
    twin = write_rotated_twin(options, weights, str(root / "twin"), seed=11)
    for name, (o, w) in {"original": (options, weights), "twin": twin[:2]}.items():
        elmo_anchors(o, w, [CORPUS], str(root / f"anchors_{name}"), batch_size=32)
    alignment = str(root / "twin_to_original.pth")
    align_anchor_layers(str(root / "anchors_twin"), str(root / "anchors_original"), alignment)
    return TwinSetting(
        options,
        weights,
        twin,
        str(root / "anchors_original"),
        str(root / "anchors_twin"),
        alignment,
    )
