from typing import Dict, List, Optional, Sequence

import torch
import torch.distributed as dist
from allennlp.common.util import is_distributed
from allennlp.training.metrics.metric import Metric


@Metric.register("per_language_attachment_scores")
class PerLanguageAttachmentScores(Metric):
    """
    Unlabeled and labeled attachment scores per language (`UAS_<lang>`, `LAS_<lang>`), plus their
    unweighted means over `average_languages` (`UAS_AVG`, `LAS_AVG`; over every language seen when it
    is `None`).

    Unlike one `AttachmentScores` per language, counts stay local until `get_metric`, which reduces
    them over the union of the languages that all workers saw: in distributed training the workers'
    batches hold different languages, and per-batch collectives would not pair up.

    # Parameters

    average_languages : `Sequence[str]`, optional (default = `None`)
        The languages that `UAS_AVG` / `LAS_AVG` average over, e.g. the training languages, so that
        model selection never looks at a zero-shot target.
    """

    def __init__(self, average_languages: Optional[Sequence[str]] = None) -> None:
        self._average_languages = list(average_languages) if average_languages else None
        # language -> [unlabeled correct, labeled correct, scored words]
        self._counts: Dict[str, torch.Tensor] = {}

    def __call__(  # type: ignore
        self,
        languages: List[str],
        predicted_indices: torch.Tensor,
        predicted_labels: torch.Tensor,
        gold_indices: torch.Tensor,
        gold_labels: torch.Tensor,
        mask: torch.BoolTensor,
    ) -> None:
        """
        # Parameters

        languages : `List[str]`
            The language of each instance of the batch.
        predicted_indices, predicted_labels, gold_indices, gold_labels : `torch.Tensor`
            Shape `(batch_size, timesteps)`.
        mask : `torch.BoolTensor`
            Shape `(batch_size, timesteps)`: the words to score.
        """
        predicted_indices, predicted_labels, gold_indices, gold_labels, mask = self.detach_tensors(
            predicted_indices, predicted_labels, gold_indices, gold_labels, mask
        )
        correct_heads = (predicted_indices == gold_indices) & mask
        correct_both = correct_heads & (predicted_labels == gold_labels)
        per_instance = torch.stack(
            [correct_heads.sum(-1), correct_both.sum(-1), mask.sum(-1)], dim=-1
        ).cpu()
        for row, language in enumerate(languages):
            counts = self._counts.setdefault(language, torch.zeros(3, dtype=torch.long))
            counts += per_instance[row]

    def get_metric(self, reset: bool = False) -> Dict[str, float]:
        counts = self._reduced_counts()
        metrics: Dict[str, float] = {}
        for language, (unlabeled, labeled, total) in counts.items():
            metrics[f"UAS_{language}"] = float(unlabeled) / float(total) if total > 0 else 0.0
            metrics[f"LAS_{language}"] = float(labeled) / float(total) if total > 0 else 0.0
        averaged = [
            language
            for language in (self._average_languages or sorted(counts))
            if language in counts
        ]
        if averaged:
            for score in ("UAS", "LAS"):
                metrics[f"{score}_AVG"] = sum(
                    metrics[f"{score}_{language}"] for language in averaged
                ) / len(averaged)
        if reset:
            self.reset()
        return metrics

    def _reduced_counts(self) -> Dict[str, torch.Tensor]:
        if not is_distributed():
            return dict(sorted(self._counts.items()))
        gathered: List[List[str]] = [[] for _ in range(dist.get_world_size())]
        dist.all_gather_object(gathered, sorted(self._counts))
        languages = sorted({language for worker in gathered for language in worker})
        if not languages:
            return {}
        stacked = torch.stack(
            [self._counts.get(language, torch.zeros(3, dtype=torch.long)) for language in languages]
        )
        # gloo reduces CPU tensors; NCCL needs them on the worker's device.
        device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else "cpu"
        stacked = stacked.to(device)
        dist.all_reduce(stacked, op=dist.ReduceOp.SUM)
        return dict(zip(languages, stacked.cpu()))

    def reset(self) -> None:
        self._counts = {}
