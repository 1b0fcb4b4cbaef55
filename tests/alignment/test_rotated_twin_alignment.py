"""
Known answer: `elmo-align` without a dictionary, on the anchors of an ELMo and of its rotated twin,
recovers the inverse rotation, and the twin's embedder output with the learned alignment equals the
original's, after the mix and per layer.
"""

import json
import os

import numpy
import pytest
import torch
from allennlp.modules.elmo import batch_to_ids

from allennlp_multilang_elmo.alignment.align import align_vectors, report_path
from allennlp_multilang_elmo.alignment.anchors import anchors_vec_name
from allennlp_multilang_elmo.alignment.word_vectors import read_word_vectors
from allennlp_multilang_elmo.modules.alignment_matrix import load_alignment_matrix
from allennlp_multilang_elmo.modules.token_embedders import ElmoTokenEmbedderMultiLang

SENTENCES = [
    ["The", "new", "rules", "take", "effect", "in", "January", "."],
    ["Nobody", "saw", "it", "coming", ",", "said", "the", "mayor", "of", "Bremen", "."],
    ["Yes", "."],
]


def learned(setting) -> numpy.ndarray:
    return load_alignment_matrix(setting.alignment, 16, "twin", num_layers=3).double().numpy()


def test_lstm_layers_recover_the_inverse_rotation(twin_setting):
    matrices = learned(twin_setting)
    for layer in (1, 2):
        error = numpy.abs(matrices[layer] - twin_setting.twin.rotations[layer].T).max()
        assert error <= 1e-4, f"layer {layer}: max abs error {error}"


def test_layer_0_map_is_right_on_the_vectors_it_sees(twin_setting):
    # Layer 0 is [e; e]: only the map's action on such vectors is determined, and it is right.
    twin = read_word_vectors(os.path.join(twin_setting.twin_anchors, anchors_vec_name(0)))
    original = read_word_vectors(os.path.join(twin_setting.original_anchors, anchors_vec_name(0)))
    assert twin.words == original.words
    mapped = twin.vectors @ learned(twin_setting)[0].T
    assert numpy.abs(mapped - original.vectors).max() <= 1e-4 * numpy.abs(original.vectors).max()


def test_precision_at_1_is_perfect_on_the_lstm_layers(twin_setting):
    with open(report_path(twin_setting.alignment)) as f:
        report = json.load(f)
    for layer in ("1", "2"):
        layer_report = report["layers"][layer]
        # Identical strings: every word of the (shared) vocabulary.
        assert layer_report["usable_pairs"] == layer_report["dictionary_pairs"] > 4000
        assert layer_report["held_out_pairs"] == round(0.1 * layer_report["usable_pairs"])
        assert layer_report["precision_at_1"] == {"nn": 1.0, "csls": 1.0}


def test_refinement_keeps_the_answer(twin_setting, tmp_path):
    output = str(tmp_path / "layer1.pth")
    report = align_vectors(
        os.path.join(twin_setting.twin_anchors, anchors_vec_name(1)),
        os.path.join(twin_setting.original_anchors, anchors_vec_name(1)),
        output,
        refinement=2,
        refinement_vocabulary=2000,
    )
    # Mutual CSLS neighbours among the 2000 most frequent words are the words themselves.
    assert [r["dictionary_size"] for r in report["rounds"]][1:] == [2000, 2000]
    assert report["precision_at_1"] == {"nn": 1.0, "csls": 1.0}
    matrix = load_alignment_matrix(output, 16, "twin").double().numpy()
    assert numpy.abs(matrix - twin_setting.twin.rotations[1].T).max() <= 1e-4


def embed(options, weights, **kwargs) -> torch.Tensor:
    embedder = ElmoTokenEmbedderMultiLang(
        {"xx": options}, {"xx": weights}, dropout=0.0, **kwargs
    ).eval()
    with torch.no_grad():
        # Two batches: the biLM carries its state from one to the next, in both models alike.
        return torch.cat([embedder(batch_to_ids(SENTENCES), "xx") for _ in range(2)]).double()


@pytest.mark.parametrize("mix", [[-9e10, 1, -9e10], [-9e10, 0.3, -0.5]])
def test_twin_embedder_with_the_after_mix_alignment_equals_the_original(
    twin_setting, tmp_path, mix
):
    # Layers 1 and 2 share their rotation, so one layer-1 map aligns any mix of the two.
    layer_1 = str(tmp_path / "layer1.pth")
    align_vectors(
        os.path.join(twin_setting.twin_anchors, anchors_vec_name(1)),
        os.path.join(twin_setting.original_anchors, anchors_vec_name(1)),
        layer_1,
    )
    original = embed(
        twin_setting.original_options,
        twin_setting.original_weights,
        scalar_mix_parameters=mix,
    )
    twin = embed(
        twin_setting.twin.options_file,
        twin_setting.twin.weight_file,
        scalar_mix_parameters=mix,
        aligning_files={"xx": layer_1},
    )
    unaligned = embed(
        twin_setting.twin.options_file,
        twin_setting.twin.weight_file,
        scalar_mix_parameters=mix,
    )
    assert (twin - original).abs().max() <= 1e-4
    assert (unaligned - original).abs().max() > 0.1


def test_twin_embedder_with_the_per_layer_alignment_and_a_learned_mix(twin_setting):
    # A learned mix (scalar_mix_parameters=None) weighs all three layers, the character layer too.
    original = embed(twin_setting.original_options, twin_setting.original_weights)
    twin = embed(
        twin_setting.twin.options_file,
        twin_setting.twin.weight_file,
        aligning_files={"xx": twin_setting.alignment},
    )
    assert (twin - original).abs().max() <= 1e-4
    assert original.abs().max() > 0.5
