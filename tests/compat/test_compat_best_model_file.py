"""B17: best.th is replaced atomically, so a kill never leaves the run without its best model."""

import shutil

import pytest
import torch
from allennlp.data.data_loaders import SimpleDataLoader
from allennlp.training import gradient_descent_trainer as trainer_module
from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

from allennlp_multilang_elmo.compat._patching import unpatched


def replace_best_as_the_trainer_does(source: str, best: str) -> None:
    """`GradientDescentTrainer._try_train` when an epoch is the best so far (AllenNLP 2.10.1)."""
    if trainer_module.os.path.exists(best):
        trainer_module.os.remove(best)
    trainer_module.hardlink_or_copy(source, best)


class _Killed(BaseException):
    pass


def kill(*args, **kwargs):
    raise _Killed


@pytest.fixture
def files(tmp_path):
    (tmp_path / "model_state_e1.th").write_bytes(b"new best")
    (tmp_path / "best.th").write_bytes(b"old best")
    return str(tmp_path / "model_state_e1.th"), tmp_path / "best.th"


def test_stock_trainer_loses_best_th_to_a_kill_while_copying(files, monkeypatch):
    source, best = files
    with unpatched(trainer_module, "os", "hardlink_or_copy"), monkeypatch.context() as patch:
        patch.setattr(trainer_module, "hardlink_or_copy", kill)
        with pytest.raises(_Killed):
            replace_best_as_the_trainer_does(source, str(best))
    assert not best.exists()


def test_best_th_is_the_old_or_the_new_model_whole(files, monkeypatch):
    source, best = files
    with monkeypatch.context() as patch:
        patch.setattr(shutil, "copyfile", kill)
        with pytest.raises(_Killed):
            replace_best_as_the_trainer_does(source, str(best))
    assert best.read_bytes() == b"old best"
    replace_best_as_the_trainer_does(source, str(best))
    assert best.read_bytes() == b"new best"
    assert sorted(p.name for p in best.parent.iterdir()) == ["best.th", "model_state_e1.th"]


def test_a_kill_while_saving_best_th_keeps_the_old_one(tmp_path, monkeypatch):
    model = torch.nn.Linear(2, 2)
    trainer = GradientDescentTrainer(
        model,  # type: ignore[arg-type]
        torch.optim.SGD(model.parameters(), lr=0.1),
        SimpleDataLoader([], 1),
        serialization_dir=str(tmp_path),
    )
    best = tmp_path / "best.th"
    best.write_bytes(b"old best")

    def half_then_killed(obj, path):
        open(path, "wb").write(b"half")
        raise _Killed

    monkeypatch.setattr(torch, "save", half_then_killed)
    with pytest.raises(_Killed):
        trainer._save_model_state(str(best))
    assert best.read_bytes() == b"old best"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("best")] == ["best.th"]
