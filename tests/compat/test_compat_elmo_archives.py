"""
B15: archives carry the ELMo files of any config and appear whole; loading an archive uses them,
refuses overrides that it could not honour, and writes no activation cache unless asked.
"""

import json
import os
import shutil
import tarfile

import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models import archival
from allennlp.models.archival import load_archive

from allennlp_multilang_elmo.compat._patching import unpatched

ELMO = "model.text_field_embedder.token_embedders.elmo"


@pytest.fixture
def serialization_dir(tmp_path):
    """The files `archive_model` archives, and an `elmo_files/` folder as the callback leaves it."""
    folder = tmp_path / "run"
    (folder / "elmo_files" / "en").mkdir(parents=True)
    (folder / "elmo_files" / "en" / "options.json").write_text("{}")
    (folder / "config.json").write_text("{}")
    torch.save({}, folder / "best.th")
    Vocabulary().save_to_files(str(folder / "vocabulary"))
    return folder


def members(archive: str):
    with tarfile.open(archive) as tar:
        return set(tar.getnames())


class TestArchiveModel:
    def test_stock_archive_leaves_the_elmo_files_out(self, serialization_dir):
        with unpatched(archival, "archive_model"):
            archive = archival.archive_model(serialization_dir)
        assert "elmo_files/en/options.json" not in members(archive)

    def test_elmo_files_go_in_without_include_in_archive(self, serialization_dir):
        archive = archival.archive_model(serialization_dir)
        assert archive == str(serialization_dir / "model.tar.gz")
        assert {"config.json", "weights.th", "elmo_files/en/options.json"} <= members(archive)

    def test_a_failure_while_archiving_leaves_no_archive(self, serialization_dir, monkeypatch):
        def fail(*args, **kwargs):
            raise OSError("disk full")

        monkeypatch.setattr(tarfile.TarFile, "add", fail)
        with pytest.raises(OSError, match="disk full"):
            archival.archive_model(serialization_dir)
        assert not [name for name in os.listdir(serialization_dir) if "model.tar.gz" in name]


@pytest.mark.end_to_end
class TestLoadArchive:
    def test_stock_loading_ignores_an_alignment_override(self, tiny_demo_run, tmp_path):
        other = tiny_demo_run.parent / "elmo" / "fr" / "align.pth"
        overrides = {f"{ELMO}.aligning_files.de": str(other)}
        with unpatched(archival, "_load_model"):
            archive = load_archive(str(tiny_demo_run / "model.tar.gz"), overrides=overrides)
        alignment = archive.model.text_field_embedder.token_embedder_elmo._elmos["de"].alignment
        archived = torch.load(tiny_demo_run / "best.th")
        # The archived alignment (from weights.th) won: the override changed nothing.
        (name,) = [key for key in archived if key.endswith("_elmos.de.alignment")]
        assert torch.equal(alignment, archived[name])

    def test_elmo_file_overrides_are_refused(self, tiny_demo_run):
        other = tiny_demo_run.parent / "elmo" / "fr" / "align.pth"
        for override in [
            {f"{ELMO}.aligning_files.de": str(other)},
            {f"{ELMO}.weight_files.pt": str(other)},
        ]:
            with pytest.raises(ConfigurationError, match="allennlp elmo-add-language"):
                load_archive(str(tiny_demo_run / "model.tar.gz"), overrides=override)

    def test_no_activation_cache_unless_the_overrides_set_one(
        self, tiny_demo_run, tmp_path, monkeypatch
    ):
        run = tmp_path / "run"
        shutil.copytree(tiny_demo_run, run)
        config = json.loads((run / "config.json").read_text())
        config["model"]["text_field_embedder"]["token_embedders"]["elmo"]["activation_cache"] = (
            "cache"
        )
        (run / "config.json").write_text(json.dumps(config))
        monkeypatch.chdir(tmp_path)
        with unpatched(archival, "_load_model"):
            load_archive(str(run))
        assert (tmp_path / "cache").is_dir()
        shutil.rmtree(tmp_path / "cache")
        load_archive(str(run))
        assert not (tmp_path / "cache").exists()
        load_archive(str(run), overrides={f"{ELMO}.activation_cache": "asked"})
        assert (tmp_path / "asked").is_dir()
