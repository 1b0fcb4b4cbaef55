import inspect

import pytest
import torch
from allennlp.common import Params
from allennlp.training.learning_rate_schedulers import LearningRateScheduler
from allennlp.training.learning_rate_schedulers.pytorch_lr_schedulers import (
    ReduceOnPlateauLearningRateScheduler,
)

from allennlp_multilang_elmo.compat import reduce_on_plateau
from allennlp_multilang_elmo.compat._patching import original


def _optimizer() -> torch.optim.Optimizer:
    return torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)


def setup_module():
    reduce_on_plateau.apply()


def test_stock_constructor_passes_verbose_to_torch():
    scheduler = ReduceOnPlateauLearningRateScheduler.__new__(ReduceOnPlateauLearningRateScheduler)
    with pytest.raises(TypeError, match="unexpected keyword argument 'verbose'"):
        original(ReduceOnPlateauLearningRateScheduler, "__init__")(scheduler, _optimizer())


def test_constructor_signature_is_unchanged():
    # `from_params` reads the constructor's signature, so configs must see the same parameters.
    patched = inspect.signature(ReduceOnPlateauLearningRateScheduler.__init__)
    stock = inspect.signature(original(ReduceOnPlateauLearningRateScheduler, "__init__"))
    assert list(patched.parameters) == list(stock.parameters)
    assert [p.default for p in patched.parameters.values()] == [
        p.default for p in stock.parameters.values()
    ]


def test_from_params_builds_a_working_scheduler():
    optimizer = _optimizer()
    params = Params(
        {"type": "reduce_on_plateau", "mode": "max", "factor": 0.5, "patience": 0, "verbose": True}
    )
    scheduler = LearningRateScheduler.from_params(params, optimizer=optimizer)
    assert isinstance(scheduler, ReduceOnPlateauLearningRateScheduler)
    scheduler.step(0.5)
    assert optimizer.param_groups[0]["lr"] == 1.0
    # No improvement with patience 0: the rate is halved.
    scheduler.step(0.5)
    assert optimizer.param_groups[0]["lr"] == 0.5
