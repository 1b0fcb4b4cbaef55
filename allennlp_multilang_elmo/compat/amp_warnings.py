"""
B13: AllenNLP's trainer warns that `torch.cuda.amp.autocast` is deprecated, even without AMP.

`GradientDescentTrainer` enters `torch.cuda.amp.autocast(self._use_amp)` around every forward pass
of training and validation, and recent torch deprecates that spelling with a `FutureWarning`
("`torch.cuda.amp.autocast(args...)` is deprecated"): noise in every training log, about code
that users cannot change. The filter ignores
exactly that message, and only when raised from AllenNLP's trainer module.
"""
import warnings

# `warnings.filterwarnings` matches `message` at the start of the warning text.
AUTOCAST_MESSAGE = r"`torch\.cuda\.amp\.autocast\(args\.\.\.\)` is deprecated"
TRAINER_MODULE = r"allennlp\.training\.gradient_descent_trainer$"


def apply() -> None:
    """Silences the trainer's `torch.cuda.amp.autocast` FutureWarning and nothing else."""
    # `filterwarnings` replaces an identical existing filter instead of adding a second one.
    warnings.filterwarnings(
        "ignore", message=AUTOCAST_MESSAGE, category=FutureWarning, module=TRAINER_MODULE
    )
