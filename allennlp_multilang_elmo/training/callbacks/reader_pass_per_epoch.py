from typing import Any, Dict

from allennlp.training.callbacks.callback import TrainerCallback


@TrainerCallback.register("reader_pass_per_epoch")
class ReaderPassPerEpochCallback(TrainerCallback):
    """
    Makes epoch `k` of training read pass `k` of the training reader's language-balanced stream
    (`universal_dependencies_multilang` with `instances_per_language`), by calling its `set_pass`
    in the main process before every epoch. Without it the pass only advances when the main
    process itself reads: with `num_workers > 0` every epoch would draw the same sample, and after
    `allennlp train --recover` the passes would shift. Readers without `set_pass` are left alone.

    Registered as a `TrainerCallback` with name "reader_pass_per_epoch".
    """

    def on_start(self, trainer, is_primary: bool = True, **kwargs) -> None:
        super().on_start(trainer, is_primary=is_primary, **kwargs)
        # When recovering, the trainer replays the finished epochs without training on them; the
        # first epoch it trains on is this one.
        self._set_pass(trainer, trainer._start_after_epochs_completed)

    def on_epoch(
        self, trainer, metrics: Dict[str, Any], epoch: int, is_primary: bool = True, **kwargs
    ) -> None:
        self._set_pass(trainer, epoch + 1)

    @staticmethod
    def _set_pass(trainer, pass_index: int) -> None:
        reader = getattr(trainer.data_loader, "reader", None)
        set_pass = getattr(reader, "set_pass", None)
        if set_pass is not None:
            set_pass(pass_index)
