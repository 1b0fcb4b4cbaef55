import json
import os

import numpy
import pytest
from helpers.cli import run_cli
from helpers.demo_training import REPO_ROOT
from helpers.rotated_twin import write_rotated_twin

from allennlp_multilang_elmo.alignment.anchors import elmo_anchors
from allennlp_multilang_elmo.modules.alignment_matrix import load_alignment_matrix
from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options, write_elmo_model

CORPUS = os.path.join(REPO_ROOT, "data", "ud-pud", "en_pud-ud-dev.conllu")


@pytest.fixture(scope="module")
def anchors(tmp_path_factory):
    """Anchors of a tiny ELMo ("en") and of its rotated twin ("xx") on the English dev treebank."""
    root = tmp_path_factory.mktemp("align")
    options, weights = write_elmo_model(str(root / "en"), 5, elmo_options(proj_clip=1000.0))
    twin = write_rotated_twin(options, weights, str(root / "xx"), seed=6)
    elmo_anchors(options, weights, [CORPUS], str(root / "anchors_en"))
    elmo_anchors(twin.options_file, twin.weight_file, [CORPUS], str(root / "anchors_xx"))
    return root, twin


def test_listed_in_allennlp_help(monkeypatch, capsys):
    with pytest.raises(SystemExit):
        run_cli(monkeypatch, "--help")
    assert "elmo-align" in capsys.readouterr().out


def test_options_in_the_help(monkeypatch, capsys):
    with pytest.raises(SystemExit):
        run_cli(monkeypatch, "elmo-align", "--help")
    printed = capsys.readouterr().out
    for option in ("--validation", "--held-out", "--test-dictionary", "--keep-identical-test"):
        assert option in printed


def test_per_layer_stack_from_two_anchor_folders(anchors, monkeypatch, capsys):
    root, twin = anchors
    output = root / "xx_layers.pth"
    run_cli(
        monkeypatch,
        "elmo-align",
        str(root / "anchors_xx"),
        str(root / "anchors_en"),
        "--layers",
        "0",
        "1",
        "2",
        "--output",
        str(output),
        "--refinement",
        "1",
    )
    printed = capsys.readouterr().out.splitlines()
    report = json.loads((root / "xx_layers.json").read_text())
    # Per layer: the parts of the dictionary, each round, the round kept.
    assert [line.split(":")[0] for line in printed[:12:4]] == ["layer 0", "layer 1", "layer 2"]
    pairs = report["layers"]["1"]["usable_pairs"]
    tenth = round(pairs / 10)
    assert printed[4:8] == [
        f"layer 1: {pairs} of {pairs} dictionary pairs usable: {pairs - 2 * tenth} training, "
        f"{tenth} validation, {tenth} test; validation and test include words translated by "
        "themselves",
        f"  round 0: {pairs - 2 * tenth} pairs, precision@1 CSLS validation 100.0, test 100.0 "
        "(kept)",
        f"  round 1: {pairs} pairs, precision@1 CSLS validation 100.0, test 100.0",
        "  kept round 0, best validation precision@1 (CSLS): test precision@1 NN 100.0, CSLS 100.0",
    ]
    assert printed[12] == f"wrote {output} and {root / 'xx_layers.json'}"
    assert report["layers"]["1"]["best_round"] == 0
    stack = load_alignment_matrix(str(output), 16, "xx", num_layers=3).double().numpy()
    assert numpy.abs(stack[1:] - twin.rotations[1:].transpose(0, 2, 1)).max() <= 1e-4


def test_one_layer_with_a_dictionary(anchors, monkeypatch, capsys):
    root, twin = anchors
    counts = json.loads((root / "anchors_en" / "anchors.json").read_text())["counts"]
    dictionary = root / "xx-en.txt"
    dictionary.write_text("".join(f"{word} {word}\n" for word in list(counts)[:300]))
    output = root / "xx_layer1.pth"
    run_cli(
        monkeypatch,
        "elmo-align",
        str(root / "anchors_xx" / "anchors_layer1.vec"),
        str(root / "anchors_en" / "anchors_layer1.vec"),
        "--output",
        str(output),
        "--dictionary",
        str(dictionary),
        "--held-out",
        "0.2",
        "--seed",
        "3",
    )
    # A dictionary of identical strings only is validated and tested on them.
    assert capsys.readouterr().out.splitlines()[:3] == [
        "300 of 300 dictionary pairs usable: 210 training, 30 validation, 60 test; validation and "
        "test include words translated by themselves",
        "  round 0: 210 pairs, precision@1 CSLS validation 100.0, test 100.0 (kept)",
        "  kept round 0, best validation precision@1 (CSLS): test precision@1 NN 100.0, CSLS 100.0",
    ]
    matrix = load_alignment_matrix(str(output), 16, "xx").double().numpy()
    assert numpy.abs(matrix - twin.rotations[1].T).max() <= 1e-4


def test_layers_need_anchor_folders(anchors, monkeypatch):
    root, _ = anchors
    with pytest.raises(ValueError, match="--layers needs SOURCE_DIR and TARGET_DIR"):
        run_cli(
            monkeypatch,
            "elmo-align",
            str(root / "anchors_xx" / "anchors_layer1.vec"),
            str(root / "anchors_en" / "anchors_layer1.vec"),
            "--output",
            str(root / "x.pth"),
            "--layers",
            "1",
        )


def test_a_test_dictionary(anchors, monkeypatch, capsys):
    root, twin = anchors
    words = list(json.loads((root / "anchors_en" / "anchors.json").read_text())["counts"])
    dictionary, test_dictionary = root / "seed.txt", root / "test.txt"
    # The twin's words are the original's: every pair translates a word by itself.
    dictionary.write_text("".join(f"{word} {word}\n" for word in words[:300]))
    test_dictionary.write_text("".join(f"{word} {word}\n" for word in words[250:350]))
    output = root / "tested.pth"
    args = [
        "elmo-align",
        str(root / "anchors_xx" / "anchors_layer1.vec"),
        str(root / "anchors_en" / "anchors_layer1.vec"),
        "--output",
        str(output),
        "--dictionary",
        str(dictionary),
        "--test-dictionary",
        str(test_dictionary),
    ]
    with pytest.raises(ValueError, match=r"test dictionary .*test.txt: the 100 usable pairs of"):
        run_cli(monkeypatch, *args)
    with pytest.raises(ValueError, match=r"held_out \(--held-out, 0.2\) holds test pairs out"):
        run_cli(monkeypatch, *args, "--held-out", "0.2")
    assert not output.exists()

    run_cli(monkeypatch, *args, "--keep-identical-test-pairs", "--validation", "0.2")
    assert capsys.readouterr().out.splitlines()[:3] == [
        "300 of 300 dictionary pairs usable: 200 training, 50 validation, 100 test (from "
        "--test-dictionary: 100 of its 100 pairs usable, 50 pairs of its words left out of the "
        "seed); validation and test include words translated by themselves",
        "  round 0: 200 pairs, precision@1 CSLS validation 100.0, test 100.0 (kept)",
        "  kept round 0, best validation precision@1 (CSLS): test precision@1 NN 100.0, CSLS 100.0",
    ]
    report = json.loads((root / "tested.json").read_text())
    assert report["test_dictionary"] == str(test_dictionary)
    assert report["identical_pairs_evaluated"] == {"validation": True, "test": True}
    matrix = load_alignment_matrix(str(output), 16, "xx").double().numpy()
    assert numpy.abs(matrix - twin.rotations[1].T).max() <= 1e-4
