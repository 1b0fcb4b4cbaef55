"""
Known answer for `elmo-align-parallel`: with identical sentences on both sides, the map learned from
the word-aligned vectors of a biLM's rotated twin onto the biLM is the inverse rotation, with a
given diagonal word alignment and with eflomal's; the sums of a corpus's halves give the same map;
and bad input is refused naming the file and line, with nothing written.
"""

import json
import os
from typing import NamedTuple

import numpy
import pytest
from helpers.demo_training import REPO_ROOT
from helpers.rotated_twin import RotatedTwin, write_rotated_twin

from allennlp_multilang_elmo.alignment.align import report_path
from allennlp_multilang_elmo.alignment.anchors import elmo_anchors
from allennlp_multilang_elmo.alignment.corpus import read_sentences
from allennlp_multilang_elmo.alignment.cross_covariance import (
    merge_cross_covariances,
    orthogonal_maps,
)
from allennlp_multilang_elmo.alignment.parallel_alignment import (
    align_parallel,
    parallel_sums,
    read_parallel,
)
from allennlp_multilang_elmo.modules.alignment_matrix import load_alignment_matrix
from allennlp_multilang_elmo.modules.elmo_bilm import build_bilm
from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options, write_elmo_model

CORPUS = os.path.join(REPO_ROOT, "data", "ud-pud", "en_pud-ud-train.conllu")
NUM_PAIRS = 16


class Setting(NamedTuple):
    options: str
    weights: str
    twin: RotatedTwin
    parallel: str
    """Identical tokenised sentences on both sides: the twin's text, then the original's."""
    diagonal: str
    """The Pharaoh file that links every token to itself."""
    sentences: list


@pytest.fixture(scope="module")
def setting(tmp_path_factory) -> Setting:
    root = tmp_path_factory.mktemp("parallel")
    # A projection clip that never fires (write_rotated_twin checks it).
    options, weights = write_elmo_model(str(root / "original"), 3, elmo_options(proj_clip=1000.0))
    twin = write_rotated_twin(options, weights, str(root / "twin"), seed=11)
    sentences = [s for _, s in zip(range(NUM_PAIRS), read_sentences(CORPUS, 400))]
    parallel = root / "twin-original.tsv"
    parallel.write_text("".join(f"{' '.join(s)}\t{' '.join(s)}\n" for s in sentences))
    diagonal = root / "diagonal.txt"
    diagonal.write_text(
        "".join(" ".join(f"{i}-{i}" for i in range(len(s))) + "\n" for s in sentences)
    )
    return Setting(options, weights, twin, str(parallel), str(diagonal), sentences)


def align(setting: Setting, output, **options):
    return align_parallel(
        setting.twin.options_file,
        setting.twin.weight_file,
        setting.options,
        setting.weights,
        options.pop("parallel", setting.parallel),
        str(output),
        **options,
    )


def lstm_error(setting: Setting, output) -> float:
    stack = load_alignment_matrix(str(output), 16, "twin", num_layers=3).double().numpy()
    return float(numpy.abs(stack[1:] - setting.twin.rotations[1:].transpose(0, 2, 1)).max())


def test_a_diagonal_word_alignment_recovers_the_rotation(setting, tmp_path):
    output = tmp_path / "twin.pth"
    report = align(setting, output, word_alignment=setting.diagonal)
    assert lstm_error(setting, output) <= 1e-4
    tokens = sum(map(len, setting.sentences))
    assert report == json.loads(open(report_path(str(output))).read())
    assert report["output_shape"] == [3, 16, 16]
    assert report["sentence_pairs"] == NUM_PAIRS
    assert report["word_alignment"]["links"] == report["word_alignment"]["kept_links"] == tokens
    assert report["word_alignment"]["removed"] == {}
    assert report["tokenization"] == {"source": "whitespace", "target": "whitespace"}
    for layer in ("0", "1", "2"):
        assert report["layers"][layer]["pairs"] == tokens
        assert report["layers"][layer]["dictionary"] is None


def test_eflomal_recovers_the_rotation(setting, tmp_path):
    output = tmp_path / "twin.pth"
    links = tmp_path / "eflomal.txt"
    report = align(setting, output, write_word_alignment=str(links))
    assert lstm_error(setting, output) <= 1e-4
    alignment = report["word_alignment"]
    assert alignment["source"] == "eflomal" and alignment["symmetrization"] == "intersection"
    assert alignment["eflomal_version"] == "2.0.0"
    # eflomal may leave a token unaligned (to NULL), never align it elsewhere.
    assert alignment["links"] >= 0.95 * sum(map(len, setting.sentences))
    for line in links.read_text().splitlines():
        assert all(i == j for i, j in (link.split("-") for link in line.split()))


def test_one_layer_gives_its_dim_by_dim_map(setting, tmp_path):
    output = tmp_path / "layer2.pth"
    report = align(setting, output, word_alignment=setting.diagonal, layers=[2])
    assert report["output_shape"] == [16, 16] and list(report["layers"]) == ["2"]
    matrix = load_alignment_matrix(str(output), 16, "twin").double().numpy()
    assert numpy.abs(matrix - setting.twin.rotations[2].T).max() <= 1e-4


def test_the_options_keep_the_known_answer(setting, tmp_path):
    # Centring, word-type means and the filters change which pairs count, not the rotation.
    output = tmp_path / "twin.pth"
    report = align(
        setting,
        output,
        word_alignment=setting.diagonal,
        center=True,
        type_level=True,
        one_to_one_only=True,
        drop_punctuation=True,
        drop_identical=False,
        batch_size=5,
        deterministic=True,
    )
    assert lstm_error(setting, output) <= 1e-4
    layer = report["layers"]["1"]
    assert layer["type_pairs"] == layer["pairs"] < layer["token_pairs"]
    assert report["word_alignment"]["removed"]["punctuation"] > 0


def test_dropping_identical_tokens_leaves_nothing_of_identical_sentences(setting, tmp_path):
    output = tmp_path / "twin.pth"
    with pytest.raises(ValueError, match="0 aligned token pairs for vectors of dimension 16"):
        align(setting, output, word_alignment=setting.diagonal, drop_identical=True)
    assert not os.listdir(tmp_path)


def test_precision_at_1_on_a_dictionary_of_the_parallel_text(setting, tmp_path):
    dictionary = tmp_path / "dictionary.txt"
    words = sorted({word for s in setting.sentences for word in s if word.isalpha()})[:40]
    dictionary.write_text("".join(f"{w} {w}\n" for w in words) + "absent absent\n")
    output = tmp_path / "twin.pth"
    report = align(
        setting,
        output,
        word_alignment=setting.diagonal,
        dictionary=str(dictionary),
        keep_identical=True,
    )
    for layer in ("1", "2"):
        evaluation = report["layers"][layer]["dictionary"]
        assert evaluation["dictionary_pairs"] == 41
        assert evaluation["usable_pairs"] == evaluation["test_pairs"] == 40
        assert evaluation["precision_at_1"] == {"nn": 1.0, "csls": 1.0}
    # As elmo-align, words translated by themselves are not tested unless asked.
    report = align(setting, output, word_alignment=setting.diagonal, dictionary=str(dictionary))
    assert report["layers"]["1"]["dictionary"]["test_pairs"] == 0
    assert report["layers"]["1"]["dictionary"]["precision_at_1"] is None


def test_precision_at_1_on_elmo_anchors(setting, tmp_path):
    for name, options, weights in (
        ("twin", setting.twin.options_file, setting.twin.weight_file),
        ("original", setting.options, setting.weights),
    ):
        elmo_anchors(options, weights, [setting.parallel], str(tmp_path / name), layers=[0, 1, 2])
    dictionary = tmp_path / "dictionary.txt"
    words = sorted({word for s in setting.sentences for word in s if word.isalpha()})[-3:]
    dictionary.write_text("".join(f"{w} {w}\n" for w in words))
    report = align(
        setting,
        tmp_path / "twin.pth",
        word_alignment=setting.diagonal,
        dictionary=str(dictionary),
        anchors=(str(tmp_path / "twin"), str(tmp_path / "original")),
        keep_identical=True,
    )
    assert report["evaluation_vectors"] == [str(tmp_path / "twin"), str(tmp_path / "original")]
    assert report["layers"]["2"]["dictionary"]["precision_at_1"] == {"nn": 1.0, "csls": 1.0}


def test_the_sums_of_two_halves_give_the_map_of_one_pass(setting):
    # Deterministic biLMs: a sentence's vectors do not depend on the sentences before it.
    twin, original = (
        build_bilm(options, weights, deterministic=True).eval()
        for options, weights in (
            (setting.twin.options_file, setting.twin.weight_file),
            (setting.options, setting.weights),
        )
    )
    sentences = setting.sentences
    links = [[(i, i) for i in range(len(s))] for s in sentences]

    def sums(part: slice):
        return parallel_sums(
            twin, original, sentences[part], sentences[part], links[part], [0, 1, 2], 4
        ).cross

    whole, halves = sums(slice(None)), [sums(slice(0, 7)), sums(slice(7, None))]
    merged = merge_cross_covariances(halves)
    assert merged.num_pairs == whole.num_pairs == sum(map(len, sentences))
    # The same up to float32 rounding in the biLMs (batches of other sentences pad differently).
    assert numpy.abs(merged.cross - whole.cross).max() <= 1e-6 * numpy.abs(whole.cross).max()
    # Layer 0 is [e; e]: its cross-covariance has rank dim / 2, so its map is not determined.
    assert numpy.abs(orthogonal_maps(merged) - orthogonal_maps(whole))[1:].max() <= 1e-6
    error = orthogonal_maps(merged)[1:] - setting.twin.rotations[1:].transpose(0, 2, 1)
    assert numpy.abs(error).max() <= 1e-4


# Bad input: an error naming the file and line, and no output (an earlier one stays as it was).


@pytest.fixture
def earlier_output(tmp_path):
    output = tmp_path / "out.pth"
    output.write_text("earlier")
    report = tmp_path / "out.json"
    report.write_text("earlier")
    return output


def assert_untouched(output):
    assert output.read_text() == "earlier"
    assert open(report_path(str(output))).read() == "earlier"
    assert sorted(os.listdir(output.parent)) == sorted(
        name for name in os.listdir(output.parent) if not name.startswith(".")
    )


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["a b\ta b", "a b\ta\tb"], r"line 2: 3 tab-separated columns, but line 1 has 2"),
        (["a b\ta b", "a b"], r"line 2: 1 tab-separated column, but line 1 has 2"),
        (["a b\ta b", "", "a\ta"], r"line 2: 1 tab-separated column \(a blank line\), but line 1"),
        (["a b", "a\tb"], r"line 1: no column 1 \(columns count from 0; the line has 1 tab-sep"),
        (["a b\ta b", "a\ta", " \ta"], r"line 3: the source side is empty"),
        (["a b\t a b", "a\t  "], r"line 2: the target side is empty"),
    ],
)
def test_a_malformed_parallel_file(setting, tmp_path, earlier_output, lines, message):
    parallel = tmp_path / "bad.tsv"
    parallel.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=rf"{parallel}, {message}"):
        align(setting, earlier_output, parallel=str(parallel), word_alignment=setting.diagonal)
    assert_untouched(earlier_output)


def test_a_side_longer_than_the_maximum(tmp_path):
    parallel = tmp_path / "long.tsv"
    parallel.write_text("a b\ta b\n" + " ".join(["a"] * 5) + "\tb\n")
    with pytest.raises(ValueError, match=rf"{parallel}, line 2: the source side has 5 tokens"):
        read_parallel(str(parallel), max_sentence_length=4)


def test_columns_pick_the_source_and_target(tmp_path):
    parallel = tmp_path / "three.tsv"
    parallel.write_text("1\tHello world\tBonjour le monde\n2\tYes\tOui\n")
    corpus = read_parallel(str(parallel), columns=(2, 1))
    assert corpus.source == [["Bonjour", "le", "monde"], ["Oui"]]
    assert corpus.target == [["Hello", "world"], ["Yes"]]
    with pytest.raises(ValueError, match="line 1: no column 3"):
        read_parallel(str(parallel), columns=(3, 1))
    with pytest.raises(ValueError, match="two different 0-based columns"):
        read_parallel(str(parallel), columns=(1, 1))


def test_max_pairs_reads_the_first_lines_and_counts_them_all(setting):
    corpus = read_parallel(setting.parallel, max_pairs=3)
    assert len(corpus.source) == 3 and corpus.line_count == NUM_PAIRS
    assert corpus.source == corpus.target == setting.sentences[:3]


def test_raw_text_is_split_by_each_side_s_rules(tmp_path):
    parallel = tmp_path / "fr-en.tsv"
    parallel.write_text("Ouvrez l'imprimante.\tOpen the printer's lid.\n")
    corpus = read_parallel(str(parallel), ("fr", "en"))
    assert corpus.source == [["Ouvrez", "l'", "imprimante", "."]]
    assert corpus.target == [["Open", "the", "printer", "'s", "lid", "."]]
    assert corpus.tokenization == {"source": "rules of 'fr'", "target": "rules of 'en'"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda lines: lines[:-1], r"has 15 lines and the parallel file .* 16: line 16 of "),
        (lambda lines: lines + [""], r"has 17 lines and the parallel file .* 16: line 17 of "),
        (lambda lines: ["0-0 40-1"] + lines[1:], r", line 1: the link 40-1 is out of range: line"),
        (lambda lines: lines[:3] + ["0-0 1>1"] + lines[4:], r", line 4: '1>1' is not a link"),
    ],
)
def test_a_word_alignment_file_that_does_not_fit(
    setting, tmp_path, earlier_output, change, message
):
    alignment = tmp_path / "links.txt"
    lines = open(setting.diagonal).read().splitlines()
    alignment.write_text("\n".join(change(lines)) + "\n")
    with pytest.raises(ValueError, match=message) as error:
        align(setting, earlier_output, word_alignment=str(alignment))
    assert str(alignment) in str(error.value)
    assert_untouched(earlier_output)


def test_with_max_pairs_a_word_alignment_has_the_lines_of_the_file_or_of_the_pairs_read(
    setting, tmp_path
):
    lines = open(setting.diagonal).read().splitlines()
    alignment = tmp_path / "links.txt"
    # The whole file's, or the first 3 pairs' (as a run with max_pairs=3 writes them).
    for count in (NUM_PAIRS, 3):
        alignment.write_text("\n".join(lines[:count]) + "\n")
        report = align(setting, tmp_path / "out.pth", word_alignment=str(alignment), max_pairs=3)
        assert report["word_alignment"]["links"] == sum(map(len, setting.sentences[:3]))
    alignment.write_text("\n".join(lines[:4]) + "\n")
    with pytest.raises(ValueError, match=r"has 4 lines and the parallel file .* 16 \(or 3, the "):
        align(setting, tmp_path / "out.pth", word_alignment=str(alignment), max_pairs=3)


def test_biLMs_of_different_dimensions(setting, tmp_path, earlier_output):
    options, weights = write_elmo_model(str(tmp_path / "small"), 1, elmo_options(projection_dim=4))
    with pytest.raises(
        ValueError,
        match=rf"the source biLM \({options}\) has dimension 8 and the target biLM "
        rf"\({setting.options}\) 16",
    ):
        align_parallel(
            options,
            weights,
            setting.options,
            setting.weights,
            setting.parallel,
            str(earlier_output),
            word_alignment=setting.diagonal,
        )
    assert_untouched(earlier_output)


def test_layers_that_make_no_alignment_file(setting, tmp_path):
    for layers, message in (([1, 2], "needs every layer of the biLMs in order"), ([3], "0 to 2")):
        with pytest.raises(ValueError, match=message):
            align(setting, tmp_path / "out.pth", word_alignment=setting.diagonal, layers=layers)


def test_a_missing_word_alignment_file(setting, tmp_path):
    with pytest.raises(ValueError, match="the word alignment file '.*missing.txt' does not exist"):
        align(setting, tmp_path / "out.pth", word_alignment=str(tmp_path / "missing.txt"))


def test_anchors_are_checked_before_the_pass_and_need_a_dictionary(setting, tmp_path):
    dictionary = tmp_path / "dictionary.txt"
    dictionary.write_text("the the\n")
    missing = str(tmp_path / "missing")
    with pytest.raises(ValueError, match="is not an elmo-anchors output"):
        align(
            setting,
            tmp_path / "out.pth",
            word_alignment=setting.diagonal,
            dictionary=str(dictionary),
            anchors=(missing, missing),
        )
    with pytest.raises(ValueError, match="--anchors are the vectors --dictionary is measured on"):
        align(setting, tmp_path / "out.pth", anchors=(missing, missing))
    assert sorted(os.listdir(tmp_path)) == ["dictionary.txt"]


def test_anchors_of_other_biLMs_are_refused(setting, tmp_path):
    elmo_anchors(setting.options, setting.weights, [setting.parallel], str(tmp_path / "original"))
    dictionary = tmp_path / "dictionary.txt"
    dictionary.write_text("the the\n")
    anchors = str(tmp_path / "original")
    with pytest.raises(ValueError, match=f"the anchors of '{anchors}' are of the biLM .*, not of"):
        align(
            setting,
            tmp_path / "out.pth",
            word_alignment=setting.diagonal,
            dictionary=str(dictionary),
            anchors=(anchors, anchors),  # the original's, for the twin too
        )
