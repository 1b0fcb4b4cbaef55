import json

import pytest
from allennlp.common.checks import ConfigurationError
from helpers.cli import run_cli


def write_elmo(monkeypatch, *args: str) -> None:
    run_cli(monkeypatch, "write-tiny-elmo", *args)


def test_released_layout(tmp_path, monkeypatch, capsys):
    write_elmo(monkeypatch, str(tmp_path), "--languages", "en", "pt-br", "--layout", "released")
    files = json.loads(capsys.readouterr().out)
    assert files["weight_files"]["pt-br"] == str(tmp_path / "pt-br_weights.hdf5")
    assert files["aligning_files"]["en"] == str(tmp_path / "en_best_mapping.pth")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "en_best_mapping.pth",
        "en_weights.hdf5",
        "options262.json",
        "pt-br_best_mapping.pth",
        "pt-br_weights.hdf5",
    ]


@pytest.mark.parametrize("flag", ["--projection-dim", "--cell-dim"])
@pytest.mark.parametrize("value", ["0", "-2", "x"])
def test_non_positive_sizes_are_refused_before_writing(tmp_path, monkeypatch, capsys, flag, value):
    out = tmp_path / "out"
    with pytest.raises(SystemExit):
        write_elmo(monkeypatch, str(out), "--languages", "en", flag, value)
    assert f"argument {flag}: must be a positive integer, not '{value}'" in capsys.readouterr().err
    assert not out.exists()


def test_path_traversal_in_a_language_writes_nothing(tmp_path, monkeypatch):
    out = tmp_path / "out"
    with pytest.raises(ConfigurationError, match="'../x' is not a plain language code"):
        write_elmo(monkeypatch, str(out), "--languages", "en", "../x")
    assert list(tmp_path.iterdir()) == []
