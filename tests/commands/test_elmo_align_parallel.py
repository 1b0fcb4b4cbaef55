"""
`allennlp elmo-align-parallel`: the command over `alignment.parallel_alignment`, on a tiny biLM and
its rotated twin with identical sentences on both sides (tokenised, and raw text split by each
side's rules), its summary, the word alignment it can write and read back, and its shards: links
written once by `allennlp elmo-word-align`, read by every `--shard` run, merged by `--merge`.
"""

import json
import os

import numpy
import pytest
from allennlp.common.checks import ConfigurationError
from helpers.cli import run_cli
from helpers.demo_training import REPO_ROOT
from helpers.rotated_twin import write_rotated_twin

from allennlp_multilang_elmo.alignment.corpus import read_sentences
from allennlp_multilang_elmo.alignment.word_alignment import read_pharaoh
from allennlp_multilang_elmo.modules.alignment_matrix import load_alignment_matrix
from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options, write_elmo_model

CORPUS = os.path.join(REPO_ROOT, "data", "ud-pud", "en_pud-ud-dev.conllu")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A tiny ELMo ("en"), its rotated twin ("xx"), and 16 sentences twice, tab-separated."""
    root = tmp_path_factory.mktemp("align_parallel")
    options, weights = write_elmo_model(str(root / "en"), 5, elmo_options(proj_clip=1000.0))
    twin = write_rotated_twin(options, weights, str(root / "xx"), seed=6)
    sentences = [" ".join(s) for _, s in zip(range(16), read_sentences(CORPUS, 400))]
    (root / "xx-en.tsv").write_text("".join(f"{s}\t{s}\n" for s in sentences))
    return root, (options, weights), twin


def arguments(models, *options):
    root, (options_file, weight_file), twin = models
    return [
        "elmo-align-parallel",
        twin.options_file,
        twin.weight_file,
        options_file,
        weight_file,
        str(root / "xx-en.tsv"),
        *options,
    ]


def test_listed_in_allennlp_help(monkeypatch, capsys):
    with pytest.raises(SystemExit):
        run_cli(monkeypatch, "--help")
    printed = capsys.readouterr().out
    assert "elmo-align-parallel" in printed and "elmo-word-align" in printed


def test_options_in_the_help(monkeypatch, capsys):
    with pytest.raises(SystemExit):
        run_cli(monkeypatch, "elmo-align-parallel", "--help")
    printed = " ".join(capsys.readouterr().out.split())
    for option in (
        "--word-alignment eflomal|FILE",
        "--symmetrization {intersection,grow-diag-final-and}",
        "(default = intersection)",
        "--languages SOURCE TARGET",
        "--tokenized",
        "--one-to-one",
        "--drop-punctuation",
        "--drop-identical",
        "--center",
        "--type-level",
        "--dictionary",
        "--max-pairs",
        "--cuda-device",
        "provisional",
        "--shard",
        "--merge SHARD_DIR",
    ):
        assert option in printed


def test_eflomal_links_written_and_read_back_give_the_same_map(
    models, monkeypatch, capsys, tmp_path
):
    _, _, twin = models
    links = tmp_path / "links.txt"
    first = tmp_path / "xx.pth"
    run_cli(
        monkeypatch,
        *arguments(
            models, "--tokenized", "--output", str(first), "--write-word-alignment", str(links)
        ),
    )
    printed = capsys.readouterr().out.splitlines()
    report = json.loads((tmp_path / "xx.json").read_text())
    tokens = report["source_tokens"]
    kept = report["word_alignment"]["kept_links"]
    assert printed[0] == (
        f"16 sentence pairs, {tokens} source and {tokens} target tokens; {kept} links from "
        f"eflomal (intersection), {kept} kept"
    )
    assert printed[1:4] == [f"layer {layer}: {kept} pairs" for layer in range(3)]
    assert printed[4] == f"wrote {first}, {tmp_path / 'xx.json'} and {links}"
    stack = load_alignment_matrix(str(first), 16, "xx", num_layers=3).double().numpy()
    assert numpy.abs(stack[1:] - twin.rotations[1:].transpose(0, 2, 1)).max() <= 1e-4

    second = tmp_path / "again.pth"
    run_cli(
        monkeypatch,
        *arguments(models, "--tokenized", "--output", str(second), "--word-alignment", str(links)),
    )
    again = load_alignment_matrix(str(second), 16, "xx", num_layers=3).double().numpy()
    assert numpy.array_equal(again, stack)
    assert json.loads((tmp_path / "again.json").read_text())["word_alignment"]["source"] == str(
        links
    )


def test_raw_text_with_filters_and_a_dictionary(models, monkeypatch, capsys, tmp_path):
    root, _, twin = models
    dictionary = tmp_path / "dictionary.txt"
    dictionary.write_text("the the\nof of\n")
    output = tmp_path / "layer1.pth"
    run_cli(
        monkeypatch,
        *arguments(
            models,
            "--languages",
            "en",
            "en",
            "--output",
            str(output),
            "--layers",
            "1",
            "--drop-punctuation",
            "--one-to-one",
            "--dictionary",
            str(dictionary),
            "--keep-identical-test-pairs",
        ),
    )
    printed = capsys.readouterr().out.splitlines()
    report = json.loads((tmp_path / "layer1.json").read_text())
    assert report["tokenization"] == {"source": "rules of 'en'", "target": "rules of 'en'"}
    assert report["word_alignment"]["removed"]["punctuation"] > 0
    assert "(removed: 0 not one to one, " in printed[0]
    assert printed[1].endswith("; 2 test pairs of 2, precision@1 NN 100.0, CSLS 100.0")
    matrix = load_alignment_matrix(str(output), 16, "xx").double().numpy()
    assert numpy.abs(matrix - twin.rotations[1].T).max() <= 1e-4


def test_raw_text_needs_its_tokenisation(models, monkeypatch, tmp_path):
    with pytest.raises(ConfigurationError, match="--languages SOURCE TARGET .* or --tokenized"):
        run_cli(monkeypatch, *arguments(models, "--output", str(tmp_path / "out.pth")))
    with pytest.raises(SystemExit):
        run_cli(
            monkeypatch,
            *arguments(
                models, "--tokenized", "--languages", "en", "en", "--output", str(tmp_path / "o")
            ),
        )
    assert not list(tmp_path.iterdir())


def test_links_written_once_serve_shards_that_merge_into_one_run(
    models, monkeypatch, capsys, tmp_path
):
    root, _, _ = models
    links = tmp_path / "links.txt"
    run_cli(
        monkeypatch,
        "elmo-word-align",
        str(root / "xx-en.tsv"),
        "--tokenized",
        "--output",
        str(links),
    )
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("16 sentence pairs: ") and printed.endswith(f"wrote {links}")
    lines = [line.split() for line in (root / "xx-en.tsv").read_text().splitlines()]
    lengths = [(len(line) // 2, len(line) // 2) for line in lines]
    assert len(list(read_pharaoh(str(links), lengths, str(root / "xx-en.tsv")))) == 16

    common = ("--tokenized", "--word-alignment", str(links), "--deterministic")
    run_cli(monkeypatch, *arguments(models, *common, "--output", str(tmp_path / "whole.pth")))
    for index in (1, 2):
        run_cli(
            monkeypatch,
            *arguments(
                models, *common, "--shard", f"{index}/2", "--output", str(tmp_path / f"s{index}")
            ),
        )
    capsys.readouterr()
    merged = tmp_path / "merged.pth"
    run_cli(
        monkeypatch,
        "elmo-align-parallel",
        "--merge",
        str(tmp_path / "s1"),
        str(tmp_path / "s2"),
        "--output",
        str(merged),
    )
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("merged 2 shards: 16 sentence pairs")
    assert printed[-1] == f"wrote {merged} and {tmp_path / 'merged.json'}"
    whole, sharded = (
        load_alignment_matrix(str(path), 16, "xx", num_layers=3).double().numpy()
        for path in (tmp_path / "whole.pth", merged)
    )
    assert numpy.abs(whole[1:] - sharded[1:]).max() <= 1e-6  # layer 0 has rank dim / 2
    report = json.loads((tmp_path / "merged.json").read_text())
    assert report["merged_from"] == [str(tmp_path / "s1"), str(tmp_path / "s2")]


def test_merge_takes_shard_folders_only(models, monkeypatch, tmp_path):
    with pytest.raises(ConfigurationError, match="--merge takes shard folders only"):
        run_cli(monkeypatch, *arguments(models, "--merge", "s1", "--output", str(tmp_path / "o")))
    with pytest.raises(ConfigurationError, match=r"give SOURCE_OPTIONS .* \(or --merge SHARD_DIR"):
        run_cli(monkeypatch, "elmo-align-parallel", "--output", str(tmp_path / "o"))
    assert not list(tmp_path.iterdir())
