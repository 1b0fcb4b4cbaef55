"""
`scripts/replicate.py` (`make replicate`) on tiny random biLMs: the English-only setting trains its
three parsers for a few batches, adds the targets with `elmo-add-language` and writes the table.
"""

import argparse
import importlib.util
import json
import os

import pytest
import torch
from allennlp.common import Params
from helpers.demo_training import REPO_ROOT

from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options, write_multilang_elmo

_spec = importlib.util.spec_from_file_location(
    "replicate", os.path.join(REPO_ROOT, "scripts", "replicate.py")
)
replicate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(replicate)

FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "ud_multilang")


def test_multi_source_training_never_sees_the_target_nor_its_translations():
    for target in replicate.TARGETS:
        sources = replicate.source_treebanks(target)
        files = [path for paths in sources.values() for path in paths]
        assert all(os.path.isfile(os.path.join(REPO_ROOT, path)) for path in files)
        assert all(
            os.path.basename(path).startswith(f"{lang}_")
            for lang in sources
            for path in sources[lang]
        )
        tested_on_pud = "ud-pud" in replicate.TEST[target]
        # PUD is parallel: its Italian trees are translations of the de, es, fr PUD test trees.
        assert set(sources) == {"en", *replicate.TARGETS} - {target} - (
            {"it"} if tested_on_pud else set()
        )
        assert not (tested_on_pud and any("ud-pud" in path for path in files))
    assert all(
        os.path.isfile(os.path.join(REPO_ROOT, path))
        for path in replicate.TEST.values()
        if "*" not in path
    )


def test_a_parser_trained_on_other_trees_or_elmo_files_is_refused(tmp_path):
    elmo_dir = tmp_path / "elmo"
    write_multilang_elmo(str(elmo_dir), ["en", "de"], elmo_options())
    trees = tmp_path / "trees"
    trees.mkdir()
    (trees / "en.conllu").write_text("1\ta\n")
    run = tmp_path / "de-aligned"
    run.mkdir()
    args = argparse.Namespace(elmo_dir=str(elmo_dir), output=str(tmp_path), overrides="")
    files = replicate.elmo_files(["en", "de"], ["de"], args)
    (tmp_path / "de-aligned.inputs-sha256").write_text("0" * 64 + "\n")
    with pytest.raises(SystemExit, match=f"remove {run}"):
        replicate.train(str(run), ["en", "de"], f"{trees}/*", "elmo", True, args)
    (tmp_path / "de-aligned.inputs-sha256").write_text(replicate.digest(files) + "\n")
    with pytest.raises(SystemExit, match="differs"):  # the trees are part of its inputs
        replicate.train(str(run), ["en", "de"], f"{trees}/*", "elmo", True, args)
    (tmp_path / "de-aligned.inputs-sha256").unlink()
    with pytest.raises(SystemExit, match="is missing"):
        replicate.train(str(run), ["en", "de"], f"{trees}/*", "elmo", True, args)


def test_an_archive_names_the_files_of_its_targets(tmp_path):
    elmo_dir = tmp_path / "elmo"
    write_multilang_elmo(str(elmo_dir), ["en", "de"], elmo_options())
    args = argparse.Namespace(elmo_dir=str(elmo_dir))
    before = replicate.digest(replicate.elmo_files(["de"], ["de"], args))
    assert before == replicate.digest(replicate.elmo_files(["de"], ["de"], args))
    assert before != replicate.digest(replicate.elmo_files(["de"], [], args))
    torch.save(torch.eye(32), elmo_dir / "de" / "align.pth")
    assert before != replicate.digest(replicate.elmo_files(["de"], ["de"], args))


def test_the_multi_source_batch_budget_leaves_validation_whole():
    # AllenNLP builds the validation loader from `data_loader` unless the config has its own: a
    # budget of N batches would then also cut (or cycle) every validation to N batches.
    ext_vars = dict(
        PARSER_TRAIN="",
        PARSER_VALIDATION="",
        PARSER_LANGUAGES="en,de",
        ELMO_DIR="elmo",
        PARSER_ALIGNED="",
        PARSER_INPUT="elmo+upos",
        ZERO_ALIGNMENT="",
        ACTIVATION_CACHE="",
    )
    params = Params.from_file(
        os.path.join(REPO_ROOT, replicate.CONFIG),
        params_overrides=json.dumps({"data_loader.batches_per_epoch": 3}),
        ext_vars=ext_vars,
    ).as_dict(quiet=True)
    assert params["data_loader"]["batches_per_epoch"] == 3
    assert "batches_per_epoch" not in params["validation_data_loader"]


@pytest.mark.end_to_end
def test_english_setting_writes_the_table(tmp_path, capsys):
    elmo_dir = tmp_path / "elmo"
    # The config's parser reads 128-dimensional ELMo, the shipped geometry.
    options = elmo_options(projection_dim=64, cell_dim=16)
    write_multilang_elmo(str(elmo_dir), ["en", "es", "de"], options)
    output = tmp_path / "replicate"
    overrides = {
        "train_data_path": os.path.join(FIXTURES, "en_pud-ud-train.conllu"),
        "validation_data_path": os.path.join(FIXTURES, "en_pud-ud-dev.conllu"),
        "trainer.num_epochs": 1,
    }
    replicate.main(
        [
            "--settings", "english",
            "--targets", "es", "de",
            "--elmo-dir", str(elmo_dir),
            "--output", str(output),
            "--overrides", json.dumps(overrides),
        ]
    )  # fmt: skip
    results = json.loads((output / "results.json").read_text())["english"]
    assert list(results) == [row for row, *_ in replicate.ROWS]
    for row in results.values():
        assert set(row) == {"es", "de"}
        assert all(0 <= row[lang][m] <= 100 for lang in row for m in ("UAS", "LAS"))
    # Aligned and not aligned are one parser with another alignment of the target.
    assert results["ELMo alone, aligned"] != results["ELMo alone, not aligned"]
    table = (output / "table.md").read_text()
    assert table.startswith("**english**") and table.count("\n| ") == 1 + len(replicate.ROWS)
    assert table.strip() in capsys.readouterr().out
    assert sorted(os.listdir(output / "english")) == sorted(
        [
            f"{run}{suffix}"
            for run in ("elmo", "elmo+upos", "upos")
            for suffix in ("", ".log", ".inputs-sha256")
        ]
    )
