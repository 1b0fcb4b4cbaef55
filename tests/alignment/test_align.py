import json
import os

import numpy
import pytest
import torch
from allennlp.common.checks import ConfigurationError

from allennlp_multilang_elmo.alignment.align import align_anchor_layers, align_vectors, report_path
from allennlp_multilang_elmo.alignment.anchors import anchors_vec_name
from allennlp_multilang_elmo.alignment.word_vectors import write_word_vectors
from allennlp_multilang_elmo.modules.alignment_matrix import load_alignment_matrix
from allennlp_multilang_elmo.modules.tiny_elmo import random_orthogonal
from allennlp_multilang_elmo.modules.token_embedders import ElmoTokenEmbedderMultiLang

WORDS = [f"w{i}" for i in range(120)]


@pytest.fixture
def vec_pair(tmp_path):
    rng = numpy.random.RandomState(0)
    target = rng.randn(len(WORDS), 6)
    source = target @ random_orthogonal(6, seed=4)
    write_word_vectors(str(tmp_path / "source.vec"), WORDS, source)
    write_word_vectors(str(tmp_path / "target.vec"), WORDS, target)
    return str(tmp_path / "source.vec"), str(tmp_path / "target.vec")


def test_output_is_an_aligning_file_with_its_report(vec_pair, tmp_path):
    output = str(tmp_path / "es_to_en.pth")
    report = align_vectors(*vec_pair, output, refinement=1)
    matrix = load_alignment_matrix(output, 6, "es")
    numpy.testing.assert_allclose(matrix @ matrix.T, torch.eye(6), atol=1e-6)
    with open(tmp_path / "es_to_en.json") as f:
        assert json.load(f) == report
    assert report["source"] == vec_pair[0] and report["dictionary"] is None
    assert report["precision_at_1"] == {"nn": 1.0, "csls": 1.0}


def test_dictionary_words_absent_from_the_anchors(vec_pair, tmp_path):
    dictionary = tmp_path / "es-en.txt"
    dictionary.write_text("".join(f"w{i} x{i}\n" for i in range(100)) + "w1 w1\nw2\tw2\n")
    output = tmp_path / "out.pth"
    with pytest.raises(ValueError, match=r"es-en.txt: only 2 of the 102 dictionary pairs have"):
        align_vectors(*vec_pair, str(output), dictionary=str(dictionary))
    assert sorted(os.listdir(tmp_path)) == ["es-en.txt", "source.vec", "target.vec"]


def test_malformed_dictionary_line(vec_pair, tmp_path):
    dictionary = tmp_path / "es-en.txt"
    dictionary.write_text("w1 w1\nw2 w2 w3\n")
    with pytest.raises(ValueError, match=r"es-en.txt, line 2: expected 'source target'"):
        align_vectors(*vec_pair, str(tmp_path / "out.pth"), dictionary=str(dictionary))


def test_few_identical_strings_suggest_a_dictionary(vec_pair, tmp_path):
    write_word_vectors(str(tmp_path / "other.vec"), ["w1", "zz"], numpy.ones((2, 6)))
    with pytest.raises(
        ValueError, match=r"identical strings .*pass --dictionary.*only 1 of the 1 "
    ):
        align_vectors(vec_pair[0], str(tmp_path / "other.vec"), str(tmp_path / "out.pth"))


def test_dimensions_differ(vec_pair, tmp_path):
    write_word_vectors(str(tmp_path / "wide.vec"), WORDS, numpy.ones((120, 8)))
    with pytest.raises(ValueError, match=r"source.vec onto .*wide.vec.*dimension 6 and the"):
        align_vectors(vec_pair[0], str(tmp_path / "wide.vec"), str(tmp_path / "out.pth"))
    assert not (tmp_path / "out.pth").exists()


def test_malformed_vec_names_file_and_line(vec_pair, tmp_path):
    bad = tmp_path / "bad.vec"
    bad.write_text("2 6\nw0 1 2 3 4 5 6\nw1 1 2 3 nan 5 6\n")
    with pytest.raises(ValueError, match=r"bad.vec, line 3: the vector of 'w1' contains NaN"):
        align_vectors(vec_pair[0], str(bad), str(tmp_path / "out.pth"))


def test_mean_norm_scale_as_the_authors_matrices(twin_setting, tmp_path):
    output, target_output = str(tmp_path / "twin.pth"), str(tmp_path / "original.pth")
    report = align_vectors(
        os.path.join(twin_setting.twin_anchors, anchors_vec_name(1)),
        os.path.join(twin_setting.original_anchors, anchors_vec_name(1)),
        output,
        scale="mean-norm",
        target_output=target_output,
    )
    with open(os.path.join(twin_setting.original_anchors, "anchors.json")) as f:
        norm = json.load(f)["mean_norms"]["1"]
    # The twin is a rotation: its norms are the original's.
    assert report["source_mean_norm"] == pytest.approx(norm) == report["target_mean_norm"]
    source_matrix = load_alignment_matrix(output, 16, "twin").double().numpy()
    target_matrix = load_alignment_matrix(target_output, 16, "original").double().numpy()
    numpy.testing.assert_allclose(target_matrix, numpy.eye(16) / norm, rtol=1e-6)
    expected = twin_setting.twin.rotations[1].T / norm
    assert numpy.abs(source_matrix - expected).max() <= 1e-4 / norm


def test_mean_norm_scale_needs_anchors_json_and_a_target_output(vec_pair, tmp_path):
    with pytest.raises(ValueError, match="--target-output is needed with --scale mean-norm"):
        align_vectors(*vec_pair, str(tmp_path / "a.pth"), scale="mean-norm")
    with pytest.raises(ValueError, match=r"--scale mean-norm needs the mean norm of .*source.vec"):
        align_vectors(
            *vec_pair, str(tmp_path / "a.pth"), scale="mean-norm", target_output=str(tmp_path / "b")
        )
    assert not (tmp_path / "a.pth").exists() and not (tmp_path / "b").exists()


def test_per_layer_file_must_have_every_layer(twin_setting, tmp_path):
    output = tmp_path / "stack.pth"
    with pytest.raises(ValueError, match=r"needs every layer of the ELMo in order, \[0, 1, 2\]"):
        align_anchor_layers(
            twin_setting.twin_anchors, twin_setting.original_anchors, str(output), layers=[1, 2]
        )
    assert not output.exists()


def test_per_layer_file_with_the_wrong_layer_count_is_refused_by_the_embedder(
    twin_setting, tmp_path
):
    stack = torch.load(twin_setting.alignment, weights_only=True)
    assert stack.shape == (3, 16, 16) and stack.dtype == torch.float32
    two_layers = str(tmp_path / "two_layers.pth")
    torch.save(stack[:2].clone(), two_layers)
    with pytest.raises(ConfigurationError, match=r"two_layers.pth' of language 'xx' holds 2 per"):
        ElmoTokenEmbedderMultiLang(
            {"xx": twin_setting.twin.options_file},
            {"xx": twin_setting.twin.weight_file},
            aligning_files={"xx": two_layers},
        )


def test_failed_run_leaves_an_earlier_output_untouched(vec_pair, tmp_path):
    output = str(tmp_path / "out.pth")
    align_vectors(*vec_pair, output)
    before = (open(output, "rb").read(), open(report_path(output), "rb").read())
    write_word_vectors(str(tmp_path / "wide.vec"), WORDS, numpy.ones((120, 8)))
    with pytest.raises(ValueError):
        align_vectors(vec_pair[0], str(tmp_path / "wide.vec"), output)
    assert (open(output, "rb").read(), open(report_path(output), "rb").read()) == before
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["source.vec", "target.vec", "wide.vec", "out.pth", "out.json"]
    )


@pytest.mark.parametrize(
    "output, target_output, message",
    [
        ("al.json", None, r"--output and the report would both be .*al.json"),
        ("es.pth", "es.json", r"the report and --target-output would both be .*es.json"),
        ("es.pth", "es.pth", r"--output and --target-output would both be .*es.pth"),
    ],
)
def test_outputs_of_one_command_are_never_the_same_file(tmp_path, output, target_output, message):
    scale = "mean-norm" if target_output else "none"
    with pytest.raises(ValueError, match=message):
        align_vectors(
            "missing.vec",
            "missing.vec",
            str(tmp_path / output),
            scale=scale,
            target_output=str(tmp_path / target_output) if target_output else None,
        )
    assert not list(tmp_path.iterdir())


def test_test_dictionary_gives_the_test_pairs(vec_pair, tmp_path):
    test_dictionary = tmp_path / "test.txt"
    test_dictionary.write_text("".join(f"w{i} w{i}\n" for i in range(100, 120)) + "w1 x1\n")
    output = str(tmp_path / "out.pth")
    report = align_vectors(
        *vec_pair, output, test_dictionary=str(test_dictionary), keep_identical=True
    )
    assert report["test_dictionary"] == str(test_dictionary)
    assert (report["test_dictionary_pairs"], report["usable_test_dictionary_pairs"]) == (21, 20)
    # The identical strings of the 20 tested words are left out of the seed; a tenth validates.
    assert (report["usable_pairs"], report["seed_pairs_of_test_words"]) == (120, 20)
    assert (report["training_pairs"], report["validation_pairs"]) == (90, 10)
    assert report["held_out_pairs"] == 20
    assert report["precision_at_1"] == {"nn": 1.0, "csls": 1.0}
    with open(report_path(output)) as f:
        assert json.load(f) == report


def test_test_dictionary_without_usable_pairs_is_refused(vec_pair, tmp_path):
    test_dictionary = tmp_path / "test.txt"
    test_dictionary.write_text("x1 y1\nw1 y2\n")
    with pytest.raises(
        ValueError,
        match=r"identical strings .*, test dictionary .*test.txt: none of the 2 pairs of the test "
        r"dictionary \(--test-dictionary\) have both words among the vectors",
    ):
        align_vectors(*vec_pair, str(tmp_path / "out.pth"), test_dictionary=str(test_dictionary))
    assert sorted(os.listdir(tmp_path)) == ["source.vec", "target.vec", "test.txt"]


def test_refinement_can_start_from_a_given_map(vec_pair, tmp_path):
    # A dictionary of noise: Procrustes on it finds nothing, the given (true) map everything.
    dictionary = tmp_path / "noise.txt"
    dictionary.write_text("".join(f"w{i} w{(i * 7 + 3) % 120}\n" for i in range(120)))
    true_map = tmp_path / "true.pth"
    torch.save(torch.tensor(random_orthogonal(6, seed=4)), true_map)
    output = tmp_path / "out.pth"
    seeded = align_vectors(*vec_pair, str(output), dictionary=str(dictionary), refinement=1)
    assert seeded["rounds"][0]["precision_at_1"]["csls"] < 0.5
    started = align_vectors(
        *vec_pair,
        str(output),
        dictionary=str(dictionary),
        refinement=1,
        initial_alignment=str(true_map),
    )
    assert started["initial_alignment"] and started["best_round"] == 0
    numpy.testing.assert_allclose(
        load_alignment_matrix(str(output), 6, "es"), random_orthogonal(6, seed=4), atol=1e-6
    )
    wrong = tmp_path / "wrong.pth"
    torch.save(torch.eye(5), wrong)
    with pytest.raises(ConfigurationError, match="5"):
        align_vectors(
            *vec_pair, str(output), dictionary=str(dictionary), initial_alignment=str(wrong)
        )
