"""
`allennlp elmo-add-language` on the session's trained tiny demo (trained on en, de and fr, with
ELMo for en, de, fr, es and it): a language added or swapped without retraining.
"""

import json
import os
import shutil
import subprocess

import pytest
import torch
from allennlp.common.checks import ConfigurationError
from helpers.cli import run_cli
from helpers.demo_training import ALLENNLP, FIXTURES, OFFLINE

from allennlp_multilang_elmo.modules.alignment_matrix import write_alignment
from allennlp_multilang_elmo.modules.elmo_archive_languages import add_language
from allennlp_multilang_elmo.modules.tiny_elmo import (
    elmo_options,
    random_orthogonal,
    write_elmo_model,
)

pytestmark = pytest.mark.end_to_end


@pytest.fixture(scope="module")
def portuguese(tmp_path_factory):
    """A biLM of the demo's geometry for "pt", an alignment for it, and a pt test file."""
    folder = tmp_path_factory.mktemp("pt")
    options_file, weight_file = write_elmo_model(str(folder / "elmo"), seed=41)
    alignment = write_alignment(str(folder / "align.pth"), random_orthogonal(16, seed=42))
    treebank = folder / "pt_test.conllu"
    shutil.copy(os.path.join(FIXTURES, "es_pud-ud-dev.conllu"), treebank)
    return {
        "options_file": options_file,
        "weight_file": weight_file,
        "alignment": alignment,
        "treebank": str(treebank),
    }


def weights(archive_folder) -> dict:
    return torch.load(os.path.join(archive_folder, "weights.th"), weights_only=True)


def unpacked(archive: str, folder) -> str:
    shutil.unpack_archive(archive, str(folder), format="gztar")
    return str(folder)


def evaluate_elsewhere(archive: str, treebank: str, folder) -> dict:
    """`allennlp evaluate` from `folder`, a copy of the archive alone."""
    os.makedirs(folder, exist_ok=True)
    shutil.copy(archive, folder / "model.tar.gz")
    result = subprocess.run(
        [ALLENNLP, "evaluate", "model.tar.gz", treebank, "--output-file", "metrics.json"],
        cwd=folder,
        env=OFFLINE,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((folder / "metrics.json").read_text())


def test_a_language_added_with_and_without_alignment(tiny_demo_run, portuguese, tmp_path):
    original = str(tiny_demo_run / "model.tar.gz")
    aligned, unaligned = str(tmp_path / "aligned.tar.gz"), str(tmp_path / "unaligned.tar.gz")
    files = {key: portuguese[key] for key in ("options_file", "weight_file")}
    summary = add_language(original, aligned, "pt", alignment_file=portuguese["alignment"], **files)
    assert summary["languages"] == ["de", "en", "es", "fr", "it", "pt"] and summary["aligned"]
    assert summary["mix_from"] == "de"  # the fixed mix: any language's
    assert not add_language(original, unaligned, "pt", no_alignment=True, **files)["aligned"]

    # The parser's weights, and every other language's, bit for bit.
    before = weights(unpacked(original, tmp_path / "original"))
    for name, folder in (("aligned", aligned), ("unaligned", unaligned)):
        after = weights(unpacked(folder, tmp_path / f"{name}-files"))
        assert all(torch.equal(after[key], value) for key, value in before.items())
        added = {key for key in after if key not in before}
        assert all("_elmos.pt." in key for key in added)
        assert any(key.endswith("_elmos.pt.alignment") for key in added) == (name == "aligned")
    assert sorted(os.listdir(tmp_path / "aligned-files" / "elmo_files" / "pt")) == [
        "alignment",
        "options.json",
        "weights.hdf5",
    ]

    # Both evaluate from another folder with the biLM files gone; alignment changes the scores.
    hidden = tmp_path / "hidden"
    shutil.move(os.path.dirname(portuguese["options_file"]), hidden)
    try:
        scores = {
            name: evaluate_elsewhere(archive, portuguese["treebank"], tmp_path / f"run-{name}")
            for name, archive in (("aligned", aligned), ("unaligned", unaligned))
        }
    finally:
        shutil.move(hidden, os.path.dirname(portuguese["options_file"]))
    assert {"UAS_pt", "LAS_pt"} <= set(scores["aligned"])
    # The tiny random biLMs move the parses little; the loss shows the alignment at work.
    assert scores["aligned"]["loss"] != scores["unaligned"]["loss"]


def test_replacing_an_alignment_changes_the_scores(
    tiny_demo_run, portuguese, tmp_path, monkeypatch
):
    original = str(tiny_demo_run / "model.tar.gz")
    swapped = str(tmp_path / "swapped.tar.gz")
    run_cli(
        monkeypatch,
        "elmo-add-language",
        original,
        swapped,
        "--lang",
        "de",
        "--replace",
        "--alignment-file",
        portuguese["alignment"],
    )
    treebank = os.path.join(FIXTURES, "de_pud-ud-dev.conllu")
    before = evaluate_elsewhere(original, treebank, tmp_path / "before")
    after = evaluate_elsewhere(swapped, treebank, tmp_path / "after")
    # A tiny random parser's LAS can come out the same by chance; the loss cannot.
    assert before["loss"] != after["loss"]
    # Everything but de's alignment is as it was.
    old, new = (weights(unpacked(a, tmp_path / n)) for a, n in ((original, "o"), (swapped, "s")))
    assert old.keys() == new.keys()
    assert [k for k in old if not torch.equal(old[k], new[k])] == [
        next(k for k in old if k.endswith("_elmos.de.alignment"))
    ]


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"language": "de", "no_alignment": True}, r"has language 'de' already .*--replace"),
        ({"language": "pt"}, r"needs --options-file and --weight-file"),
        ({"language": "pt", "with_files": True}, r"--alignment-file .* or --no-alignment"),
        ({"language": "../x", "no_alignment": True}, r"not a plain language code"),
        (
            {"language": "pt", "with_files": True, "no_alignment": True, "mix_from": "sv"},
            r"--mix-from 'sv' is not a language of",
        ),
        (
            {"language": "pt", "small": True, "no_alignment": True},
            r"gives 8-dimensional vectors in 3 layers, but the parser of .* reads 16 "
            r"dimensions in 3 layers",
        ),
        (
            {"language": "pt", "with_files": True, "alignment_file": "small"},
            r"alignment file .* of language 'pt' has shape \(8, 8\)",
        ),
    ],
)
def test_bad_input_names_what_is_wrong_and_writes_nothing(
    tiny_demo_run, portuguese, tmp_path, arguments, message
):
    arguments = dict(arguments)
    if arguments.pop("with_files", False):
        arguments.update(options_file=portuguese["options_file"])
        arguments.update(weight_file=portuguese["weight_file"])
    if arguments.pop("small", False):
        small = write_elmo_model(str(tmp_path / "small"), options=elmo_options(projection_dim=4))
        arguments.update(options_file=small[0], weight_file=small[1])
    if arguments.get("alignment_file") == "small":
        arguments["alignment_file"] = write_alignment(str(tmp_path / "a.pth"), random_orthogonal(8))
    output = tmp_path / "out.tar.gz"
    with pytest.raises(ConfigurationError, match=message):
        add_language(str(tiny_demo_run / "model.tar.gz"), str(output), **arguments)
    assert not [name for name in os.listdir(tmp_path) if "out.tar.gz" in name]


def test_an_existing_output_is_never_overwritten(tiny_demo_run, tmp_path):
    output = tmp_path / "out.tar.gz"
    output.write_text("earlier")
    with pytest.raises(ConfigurationError, match="already exists"):
        add_language(
            str(tiny_demo_run / "model.tar.gz"), str(output), "es", replace=True, no_alignment=True
        )
    assert output.read_text() == "earlier"
