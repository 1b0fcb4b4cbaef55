from typing import Dict, List, Optional, Sequence

import torch
import torch.distributed as dist
from allennlp.common.util import is_distributed
from allennlp.training.metrics.metric import Metric


class PerLanguageCounts(Metric):
    """
    The base of the per-language metrics: a vector of `width` integer counts per language.

    Counts stay local until `get_metric`, which reduces them (`_reduced_counts`) over the union of
    the languages that all workers saw: in distributed training the workers' batches hold different
    languages, and per-batch collectives would not pair up.

    # Parameters

    width : `int`
        How many counts each language keeps.
    average_languages : `Sequence[str]`, optional (default = `None`)
        The languages that the subclass's `_AVG` scores average over (every language seen when
        `None`).
    """

    def __init__(self, width: int, average_languages: Optional[Sequence[str]] = None) -> None:
        self._width = width
        self._average_languages = list(average_languages) if average_languages else None
        self._counts: Dict[str, torch.Tensor] = {}

    def _add_counts(self, languages: List[str], per_instance: torch.Tensor) -> None:
        """
        Adds `per_instance`, shape `(batch_size, width)`, to the counts of each instance's language.
        """
        per_instance = per_instance.cpu()
        for row, language in enumerate(languages):
            counts = self._counts.setdefault(language, torch.zeros(self._width, dtype=torch.long))
            counts += per_instance[row]

    def _reduced_counts(self) -> Dict[str, torch.Tensor]:
        """
        The counts summed over the workers of distributed training, over the union of the languages
        any worker saw; sorted by language. Outside distributed training, the local counts sorted.
        """
        if not is_distributed():
            return dict(sorted(self._counts.items()))
        gathered: List[List[str]] = [[] for _ in range(dist.get_world_size())]
        dist.all_gather_object(gathered, sorted(self._counts))
        languages = sorted({language for worker in gathered for language in worker})
        if not languages:
            return {}
        stacked = torch.stack(
            [
                self._counts.get(language, torch.zeros(self._width, dtype=torch.long))
                for language in languages
            ]
        )
        # gloo reduces CPU tensors; NCCL needs them on the worker's device.
        if dist.get_backend() == "nccl":
            stacked = stacked.to(torch.device("cuda", torch.cuda.current_device()))
        dist.all_reduce(stacked, op=dist.ReduceOp.SUM)
        return dict(zip(languages, stacked.cpu()))

    def _averaged_languages(self, counts: Dict[str, torch.Tensor]) -> List[str]:
        """The languages of `counts` that the `_AVG` scores average over."""
        return [
            language
            for language in (self._average_languages or sorted(counts))
            if language in counts
        ]

    def reset(self) -> None:
        self._counts = {}
