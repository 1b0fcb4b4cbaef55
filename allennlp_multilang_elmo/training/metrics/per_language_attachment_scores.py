from typing import Dict, List, Optional, Sequence

import torch
from allennlp.training.metrics.metric import Metric

from allennlp_multilang_elmo.training.metrics.per_language_counts import PerLanguageCounts


@Metric.register("per_language_attachment_scores")
class PerLanguageAttachmentScores(PerLanguageCounts):
    """
    Unlabeled and labeled attachment scores per language (`UAS_<lang>`, `LAS_<lang>`), plus their
    unweighted means over `average_languages` (`UAS_AVG`, `LAS_AVG`; over every language seen
    when it is `None`).

    Unlike one `AttachmentScores` per language, counts stay local until `get_metric`, which reduces
    them over the union of the languages that all workers saw: in distributed training the workers'
    batches hold different languages, and per-batch collectives would not pair up.

    # Parameters

    average_languages : `Sequence[str]`, optional (default = `None`)
        The languages that `UAS_AVG` / `LAS_AVG` average over, e.g. the training languages, so that
        model selection never looks at a zero-shot target.
    prefix : `str`, optional (default = `""`)
        Put before every metric's name, to tell scores on different words apart.
    """

    def __init__(self, average_languages: Optional[Sequence[str]] = None, prefix: str = "") -> None:
        # language -> [unlabeled correct, labeled correct, scored words]
        super().__init__(3, average_languages)
        self._prefix = prefix

    def __call__(  # type: ignore
        self,
        languages: List[str],
        predicted_indices: torch.Tensor,
        predicted_labels: torch.Tensor,
        gold_indices: torch.Tensor,
        gold_labels: torch.Tensor,
        mask: torch.Tensor,
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
        self._add_counts(
            languages,
            torch.stack([correct_heads.sum(-1), correct_both.sum(-1), mask.sum(-1)], dim=-1),
        )

    def get_metric(self, reset: bool = False) -> Dict[str, float]:
        counts = self._reduced_counts()
        metrics: Dict[str, float] = {}
        uas, las = f"{self._prefix}UAS", f"{self._prefix}LAS"
        for language, (unlabeled, labeled, total) in counts.items():
            metrics[f"{uas}_{language}"] = float(unlabeled) / float(total) if total > 0 else 0.0
            metrics[f"{las}_{language}"] = float(labeled) / float(total) if total > 0 else 0.0
        averaged = self._averaged_languages(counts)
        if averaged:
            for score in (uas, las):
                metrics[f"{score}_AVG"] = sum(
                    metrics[f"{score}_{language}"] for language in averaged
                ) / len(averaged)
        if reset:
            self.reset()
        return metrics
