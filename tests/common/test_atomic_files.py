import os

import pytest

from allennlp_multilang_elmo.common.atomic_files import atomic_file, atomic_folder, atomic_outputs


def test_a_file_appears_only_when_complete(tmp_path):
    path = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_file(str(path)) as temporary:
            open(temporary, "w").write("half")
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    with atomic_file(str(path)) as temporary:
        open(temporary, "w").write("whole")
    assert path.read_text() == "whole"


def test_files_appear_together(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_outputs() as outputs:
            open(outputs.path(str(tmp_path / "a")), "w").write("a")
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_a_new_folder_and_an_existing_one(tmp_path):
    path = tmp_path / "run"
    with atomic_folder(str(path)) as folder:
        open(os.path.join(folder, "a"), "w").write("first")
    with pytest.raises(FileExistsError, match="already exists"):
        with atomic_folder(str(path)):
            pass
    with atomic_folder(str(path), replace=True) as folder:
        open(os.path.join(folder, "b"), "w").write("second")
    # Replaced as a whole: nothing of the first run is left.
    assert sorted(os.listdir(path)) == ["b"]
    assert sorted(os.listdir(tmp_path)) == ["run"]


def test_a_kill_while_replacing_never_leaves_a_mix(tmp_path, monkeypatch):
    path = tmp_path / "run"
    with atomic_folder(str(path)) as folder:
        open(os.path.join(folder, "a"), "w").write("first")
    renames = []
    rename = os.rename

    def dies_on_the_second(source, target):
        renames.append(source)
        if len(renames) == 2:
            raise KeyboardInterrupt
        rename(source, target)

    monkeypatch.setattr(os, "rename", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        with atomic_folder(str(path), replace=True) as folder:
            open(os.path.join(folder, "b"), "w").write("second")
    monkeypatch.undo()
    # The old run moved aside whole, the new one never placed: no folder of mixed runs.
    assert not path.exists()
    (aside,) = os.listdir(tmp_path)
    assert os.listdir(tmp_path / aside) == ["a"]


def test_a_folder_is_no_output_file(tmp_path):
    with pytest.raises(IsADirectoryError, match=r"is a folder; give the name of a file"):
        with atomic_file(str(tmp_path)):
            pass
