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
    assert [line.split(":")[0] for line in printed[:3]] == ["layer 0", "layer 1", "layer 2"]
    pairs = report["layers"]["1"]["usable_pairs"]
    assert printed[1] == (
        f"layer 1: {pairs} of {pairs} dictionary pairs usable, {round(pairs / 10)} held out; "
        f"pairs per round: {pairs - round(pairs / 10)}, {pairs}; precision@1 NN 100.0, CSLS 100.0"
    )
    assert printed[3] == f"wrote {output} and {root / 'xx_layers.json'}"
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
    assert capsys.readouterr().out.splitlines()[0] == (
        "300 of 300 dictionary pairs usable, 60 held out; pairs per round: 240; "
        "precision@1 NN 100.0, CSLS 100.0"
    )
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
