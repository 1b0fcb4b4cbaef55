from typing import Dict, List, Optional, Sequence

import torch
import torch.distributed as dist
from allennlp.common.util import is_distributed
from allennlp.training.metrics.metric import Metric


@Metric.register("per_language_accuracy")
class PerLanguageAccuracy(Metric):
    """
    Accuracy of per-token predictions (e.g. UPOS tags) per language, as `<name>_<lang>`, plus their
    unweighted mean over `average_languages` as `<name>_AVG`.

    As in `per_language_attachment_scores`, counts stay local until `get_metric`, which reduces them
    over the union of the languages that all workers saw, so distributed training (whose workers'
    batches hold different languages) needs no per-batch collective.

    Registered as a `Metric` with name "per_language_accuracy".

    # Parameters

    name : `str`, optional (default = `"accuracy"`)
        The prefix of the metric names, e.g. `"UPOS"`.
    average_languages : `Sequence[str]`, optional (default = `None`)
        The languages `<name>_AVG` averages over (every language seen when `None`).
    """

    def __init__(
        self, name: str = "accuracy", average_languages: Optional[Sequence[str]] = None
    ) -> None:
        self._name = name
        self._average_languages = list(average_languages) if average_languages else None
        # language -> [correct, scored]
        self._counts: Dict[str, torch.Tensor] = {}

    def __call__(  # type: ignore
        self,
        languages: List[str],
        predictions: torch.Tensor,
        gold_labels: torch.Tensor,
        mask: torch.BoolTensor,
    ) -> None:
        """
        # Parameters

        languages : `List[str]`
            The language of each instance of the batch.
        predictions, gold_labels : `torch.Tensor`
            Shape `(batch_size, timesteps)`: predicted and gold label indices.
        mask : `torch.BoolTensor`
            Shape `(batch_size, timesteps)`: the tokens to score.
        """
        predictions, gold_labels, mask = self.detach_tensors(predictions, gold_labels, mask)
        correct = (predictions == gold_labels) & mask
        per_instance = torch.stack([correct.sum(-1), mask.sum(-1)], dim=-1).cpu()
        for row, language in enumerate(languages):
            counts = self._counts.setdefault(language, torch.zeros(2, dtype=torch.long))
            counts += per_instance[row]

    def get_metric(self, reset: bool = False) -> Dict[str, float]:
        counts = reduce_counts_over_workers(self._counts, width=2)
        metrics = {
            f"{self._name}_{language}": float(correct) / float(total) if total > 0 else 0.0
            for language, (correct, total) in counts.items()
        }
        averaged = [
            language
            for language in (self._average_languages or sorted(counts))
            if language in counts
        ]
        if averaged:
            metrics[f"{self._name}_AVG"] = sum(
                metrics[f"{self._name}_{language}"] for language in averaged
            ) / len(averaged)
        if reset:
            self.reset()
        return metrics

    def reset(self) -> None:
        self._counts = {}


def reduce_counts_over_workers(
    counts: Dict[str, torch.Tensor], width: int
) -> Dict[str, torch.Tensor]:
    """
    Sums per-language count vectors (each of length `width`) over the workers of distributed
    training, over the union of the languages any worker saw; sorted by language. Outside
    distributed training, `counts` sorted.
    """
    if not is_distributed():
        return dict(sorted(counts.items()))
    gathered: List[List[str]] = [[] for _ in range(dist.get_world_size())]
    dist.all_gather_object(gathered, sorted(counts))
    languages = sorted({language for worker in gathered for language in worker})
    if not languages:
        return {}
    stacked = torch.stack(
        [counts.get(language, torch.zeros(width, dtype=torch.long)) for language in languages]
    )
    # gloo reduces CPU tensors; NCCL needs them on the worker's device.
    if dist.get_backend() == "nccl":
        stacked = stacked.to(torch.device("cuda", torch.cuda.current_device()))
    dist.all_reduce(stacked, op=dist.ReduceOp.SUM)
    return dict(zip(languages, stacked.cpu()))
