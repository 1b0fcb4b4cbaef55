import pathlib
import warnings
from typing import Dict, List

import torch
from allennlp.data import Instance, Vocabulary
from allennlp.data.data_loaders import SimpleDataLoader
from allennlp.data.fields import TensorField
from allennlp.models import Model
from allennlp.training import GradientDescentTrainer

from allennlp_multilang_elmo.compat import amp_warnings


class _Regression(Model):
    def __init__(self) -> None:
        super().__init__(Vocabulary())
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:  # type: ignore
        return {"loss": self.linear(x).pow(2).mean()}


def _train_one_epoch() -> List[warnings.WarningMessage]:
    """Trains a tiny model with AllenNLP's trainer and returns every warning it raised."""
    instances = [Instance({"x": TensorField(torch.full((2,), float(i)))}) for i in range(4)]
    loader = SimpleDataLoader(instances, batch_size=2, vocab=Vocabulary())
    model = _Regression()
    trainer = GradientDescentTrainer(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        loader,
        validation_data_loader=loader,
        num_epochs=1,
        cuda_device=-1,
    )
    with warnings.catch_warnings(record=True) as caught:
        # Report every warning, whatever filters the test session set up...
        warnings.simplefilter("always")
        # ...except what the patch filters.
        amp_warnings.apply()
        trainer.train()
    return caught


def _autocast(caught: List[warnings.WarningMessage]) -> List[warnings.WarningMessage]:
    return [w for w in caught if "torch.cuda.amp.autocast" in str(w.message)]


def test_trainer_warns_about_autocast_without_the_filter(monkeypatch):
    monkeypatch.setattr(amp_warnings, "apply", lambda: None)
    autocast = _autocast(_train_one_epoch())
    # One per batch: two training and two validation batches, all from the trainer's module.
    assert len(autocast) == 4
    assert all(issubclass(w.category, FutureWarning) for w in autocast)
    assert {pathlib.Path(w.filename).name for w in autocast} == {"gradient_descent_trainer.py"}


def test_filter_silences_the_trainer_autocast_warning():
    assert _autocast(_train_one_epoch()) == []


def test_filter_is_targeted_and_idempotent():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        amp_warnings.apply()
        amp_warnings.apply()
        # (pytest's own configuration may add a similar filter; count the patch's only.)
        ours = [
            f
            for f in warnings.filters
            if f[1] is not None
            and f[1].pattern == amp_warnings.AUTOCAST_MESSAGE
            and f[3] is not None
            and f[3].pattern == amp_warnings.TRAINER_MODULE
        ]
        # The same deprecation raised from any other module is still reported.
        torch.cuda.amp.autocast(enabled=False)
    assert len(ours) == 1
    assert len(_autocast(caught)) == 1
