"""
`elmo-align-parallel` as shards: the partial sums of N shards (every N-th sentence pair, a shared
word alignment file) merge into the map and report of one pass over the whole corpus; a missing,
repeated or altered shard and shards of other biLMs or options are refused naming them.
"""

import json
import os

import numpy
import pytest
from helpers.demo_training import REPO_ROOT
from helpers.rotated_twin import write_rotated_twin

from allennlp_multilang_elmo.alignment.align import report_path
from allennlp_multilang_elmo.alignment.anchors import elmo_anchors
from allennlp_multilang_elmo.alignment.corpus import read_sentences
from allennlp_multilang_elmo.alignment.parallel_alignment import (
    align_parallel,
    merge_parallel_shards,
)
from allennlp_multilang_elmo.modules.alignment_matrix import load_alignment_matrix
from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options, write_elmo_model

CORPUS = os.path.join(REPO_ROOT, "data", "ud-pud", "en_pud-ud-train.conllu")
NUM_PAIRS = 13  # not a multiple of the shard counts: the last shard is shorter


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    """A tiny biLM and its rotated twin, identical sentences, links of every other token."""
    root = tmp_path_factory.mktemp("shards")
    options, weights = write_elmo_model(str(root / "original"), 3, elmo_options(proj_clip=1000.0))
    twin = write_rotated_twin(options, weights, str(root / "twin"), seed=5)
    sentences = [s for _, s in zip(range(NUM_PAIRS), read_sentences(CORPUS, 400))]
    parallel = root / "twin-original.tsv"
    parallel.write_text("".join(f"{' '.join(s)}\t{' '.join(s)}\n" for s in sentences))
    links = root / "links.txt"
    links.write_text(
        "".join(" ".join(f"{i}-{i}" for i in range(0, len(s), 2)) + "\n" for s in sentences)
    )
    return {
        "root": root,
        "biLMs": (twin.options_file, twin.weight_file, options, weights),
        "parallel": str(parallel),
        "links": str(links),
        "sentences": sentences,
    }


def run(setting, output, **options):
    options.setdefault("word_alignment", setting["links"])
    options.setdefault("deterministic", True)
    biLMs = options.pop("biLMs", setting["biLMs"])
    return align_parallel(*biLMs, setting["parallel"], str(output), **options)


def shards(setting, folder, count, **options):
    return [
        run(setting, folder / f"shard-{index}", shard=(index, count), **options)
        and str(folder / f"shard-{index}")
        for index in range(1, count + 1)
    ]


@pytest.mark.parametrize("options", [{}, {"center": True}, {"type_level": True}])
def test_shards_merge_into_the_map_of_one_pass(setting, tmp_path, options):
    whole = run(setting, tmp_path / "whole.pth", **options)
    parts = shards(setting, tmp_path, 3, batch_size=2, **options)
    merged = merge_parallel_shards(parts, str(tmp_path / "merged.pth"))
    one, three = (
        load_alignment_matrix(str(tmp_path / name), 16, "twin", num_layers=3).double().numpy()
        for name in ("whole.pth", "merged.pth")
    )
    # Layer 0 is the token embedding twice over, [x, x]: rank dim / 2, so its map is not
    # unique and rounding picks one; the LSTM layers' maps are determined.
    assert numpy.abs(one[1:] - three[1:]).max() <= 1e-6
    for key in ("sentence_pairs", "source_tokens", "target_tokens", "word_alignment"):
        assert merged[key] == whole[key], key
    for layer in ("0", "1", "2"):
        for key in ("pairs", "token_pairs", "type_pairs"):
            assert merged["layers"][layer][key] == whole["layers"][layer][key]
        for key in ("largest_singular_value", "smallest_singular_value"):
            assert merged["layers"][layer][key] == pytest.approx(
                whole["layers"][layer][key], rel=1e-6, abs=1e-9
            )
    assert merged["merged_from"] == parts
    assert json.loads(open(report_path(str(tmp_path / "merged.pth"))).read()) == merged


def test_a_merge_measures_the_dictionary_among_anchors(setting, tmp_path):
    twin_options, twin_weights, options, weights = setting["biLMs"]
    anchors = (str(tmp_path / "twin"), str(tmp_path / "original"))
    for folder, (o, w) in zip(anchors, ((twin_options, twin_weights), (options, weights))):
        elmo_anchors(o, w, [setting["parallel"]], folder)
    dictionary = tmp_path / "dictionary.txt"
    words = sorted({w for s in setting["sentences"] for w in s if w.isalpha()})[-4:]
    dictionary.write_text("".join(f"{w} {w}\n" for w in words))
    evaluation = dict(dictionary=str(dictionary), anchors=anchors, keep_identical=True)
    whole = run(setting, tmp_path / "whole.pth", **evaluation)
    merged = merge_parallel_shards(
        shards(setting, tmp_path, 2), str(tmp_path / "merged.pth"), **evaluation
    )
    for layer in ("0", "1", "2"):
        assert merged["layers"][layer]["dictionary"] == whole["layers"][layer]["dictionary"]
    with pytest.raises(ValueError, match="measures --dictionary among --anchors"):
        merge_parallel_shards([anchors[0]], str(tmp_path / "x.pth"), dictionary=str(dictionary))


def test_missing_repeated_and_altered_shards(setting, tmp_path):
    parts = shards(setting, tmp_path, 3)
    output = tmp_path / "merged.pth"
    with pytest.raises(ValueError, match=r"shards 1 to 3 once each; missing: \[3\]"):
        merge_parallel_shards(parts[:2], str(output))
    with pytest.raises(ValueError, match=r"missing: \[3\]; given twice: \[2\]"):
        merge_parallel_shards(parts[:2] + parts[1:2], str(output))
    with pytest.raises(ValueError, match=f"{tmp_path / 'nothing'}.* no shard.json"):
        merge_parallel_shards(parts + [str(tmp_path / "nothing")], str(output))
    numpy.save(os.path.join(parts[1], "cross.npy"), numpy.zeros((3, 16, 16)))
    with pytest.raises(ValueError, match="cross.npy is missing or not the file its shard wrote"):
        merge_parallel_shards(parts, str(output))
    (tmp_path / "shard-3" / "shard.json").write_text("{not json")
    with pytest.raises(ValueError, match="shard-3/shard.json cannot be read"):
        merge_parallel_shards([parts[0], parts[2]], str(output))
    assert not output.exists() and not os.path.exists(report_path(str(output)))


def test_shards_of_other_biLMs_or_options_are_refused(setting, tmp_path):
    twin_options, twin_weights, options, weights = setting["biLMs"]
    first = run(setting, tmp_path / "a", shard=(1, 2)) and str(tmp_path / "a")
    other = tmp_path / "b"
    run(setting, other, shard=(2, 2), biLMs=(options, weights, options, weights))
    with pytest.raises(ValueError, match="differ in source_weights_sha256"):
        merge_parallel_shards([first, str(other)], str(tmp_path / "m.pth"))
    run(setting, other, shard=(2, 2), center=True)
    with pytest.raises(ValueError, match="differ in options.center"):
        merge_parallel_shards([first, str(other)], str(tmp_path / "m.pth"))
    run(setting, other, shard=(2, 3))
    with pytest.raises(ValueError, match="differ in num_shards"):
        merge_parallel_shards([first, str(other)], str(tmp_path / "m.pth"))
    assert not (tmp_path / "m.pth").exists()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"deterministic": False}, "--shard needs --deterministic"),
        ({"word_alignment": "eflomal"}, "--shard needs --word-alignment FILE"),
        ({"dictionary": "d.txt"}, "give --dictionary .* to --merge"),
        ({"shard": (3, 2)}, "1 <= I <= N"),
    ],
)
def test_a_shard_needs_deterministic_biLMs_and_shared_links(setting, tmp_path, options, message):
    options.setdefault("shard", (1, 2))
    with pytest.raises(ValueError, match=message):
        run(setting, tmp_path / "shard", **options)
    assert not list(tmp_path.iterdir())
