import pytest
import torch
from allennlp.common.testing import run_distributed_test

from allennlp_multilang_elmo.training.metrics import PerLanguageAttachmentScores

# Two sentences of three words: heads and labels, gold and predicted.
GOLD_HEADS = torch.tensor([[2, 0, 2], [0, 1, 1]])
GOLD_LABELS = torch.tensor([[1, 2, 3], [2, 1, 1]])
PREDICTED_HEADS = torch.tensor([[2, 0, 1], [0, 1, 1]])
PREDICTED_LABELS = torch.tensor([[1, 2, 3], [2, 3, 1]])
MASK = torch.tensor([[True, True, True], [True, True, False]])


def test_scores_per_language_and_average():
    metric = PerLanguageAttachmentScores(average_languages=["en"])
    metric(["en", "es"], PREDICTED_HEADS, PREDICTED_LABELS, GOLD_HEADS, GOLD_LABELS, MASK)
    scores = metric.get_metric(reset=True)
    assert scores["UAS_en"] == pytest.approx(2 / 3) and scores["LAS_en"] == pytest.approx(2 / 3)
    assert scores["UAS_es"] == pytest.approx(1.0) and scores["LAS_es"] == pytest.approx(0.5)
    # The zero-shot language stays out of the average.
    assert scores["LAS_AVG"] == scores["LAS_en"]
    assert metric.get_metric() == {}


def test_average_over_every_language_by_default():
    metric = PerLanguageAttachmentScores()
    metric(["en", "es"], PREDICTED_HEADS, PREDICTED_LABELS, GOLD_HEADS, GOLD_LABELS, MASK)
    assert metric.get_metric()["UAS_AVG"] == pytest.approx((2 / 3 + 1.0) / 2)


def _different_languages_per_worker(global_rank: int, world_size: int, gpu_id: int):
    metric = PerLanguageAttachmentScores()
    # Rank 0 sees only English, rank 1 English and Spanish: the counts must still pair up.
    languages = ["en", "en"] if global_rank == 0 else ["en", "es"]
    for _ in range(global_rank + 1):
        metric(languages, PREDICTED_HEADS, PREDICTED_LABELS, GOLD_HEADS, GOLD_LABELS, MASK)
    scores = metric.get_metric()
    # en: rank 0 both sentences once (4 of 5 heads), rank 1 the first twice (4 of 6).
    assert scores["UAS_en"] == pytest.approx(8 / 11)
    assert scores["LAS_es"] == pytest.approx(0.5)


def test_distributed_workers_with_different_languages():
    run_distributed_test([-1, -1], _different_languages_per_worker)
