from typing import Dict, List, Optional, Sequence

import torch
from allennlp.training.metrics.metric import Metric

from allennlp_multilang_elmo.training.metrics.per_language_counts import PerLanguageCounts


@Metric.register("per_language_accuracy")
class PerLanguageAccuracy(PerLanguageCounts):
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
        # language -> [correct, scored]
        super().__init__(2, average_languages)
        self._name = name

    def __call__(  # type: ignore
        self,
        languages: List[str],
        predictions: torch.Tensor,
        gold_labels: torch.Tensor,
        mask: torch.Tensor,
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
        self._add_counts(languages, torch.stack([correct.sum(-1), mask.sum(-1)], dim=-1))

    def get_metric(self, reset: bool = False) -> Dict[str, float]:
        counts = self._reduced_counts()
        metrics = {
            f"{self._name}_{language}": float(correct) / float(total) if total > 0 else 0.0
            for language, (correct, total) in counts.items()
        }
        averaged = self._averaged_languages(counts)
        if averaged:
            metrics[f"{self._name}_AVG"] = sum(
                metrics[f"{self._name}_{language}"] for language in averaged
            ) / len(averaged)
        if reset:
            self.reset()
        return metrics
