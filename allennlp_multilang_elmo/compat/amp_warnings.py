"""
B13: AllenNLP's trainer warns that `torch.cuda.amp.autocast` is deprecated, even without AMP.

`GradientDescentTrainer` enters `torch.cuda.amp.autocast(self._use_amp)` around every forward pass
of training and validation, and recent torch deprecates that spelling with a `FutureWarning`
("`torch.cuda.amp.autocast(args...)` is deprecated"): noise in every training log, about code
that users cannot change. The filter ignores
exactly that message, and only when raised from AllenNLP's trainer module.
"""

import warnings

from allennlp_multilang_elmo.compat._patching import written_for

# `warnings.filterwarnings` matches `message` at the start of the warning text.
AUTOCAST_MESSAGE = r"`torch\.cuda\.amp\.autocast\(args\.\.\.\)` is deprecated"
TRAINER_MODULE = r"allennlp\.training\.gradient_descent_trainer$"


# torch deprecated `torch.cuda.amp.autocast(...)` in 2.4.
VERSIONS = {"allennlp": "==2.10.1", "torch": ">=2.4"}
"""The installed versions this patch was written for (see `written_for`)."""


def apply() -> None:
    """Silences the trainer's `torch.cuda.amp.autocast` FutureWarning and nothing else."""
    if not written_for("B13 (amp_warnings)", VERSIONS):
        return
    # `filterwarnings` replaces an identical existing filter instead of adding a second one.
    warnings.filterwarnings(
        "ignore", message=AUTOCAST_MESSAGE, category=FutureWarning, module=TRAINER_MODULE
    )
