import faulthandler
import json
import pathlib
from typing import Dict, List

import pytest
import torch
import torch.multiprocessing as mp
from allennlp.common.testing import AllenNlpTestCase
from allennlp.common.testing.distributed_test import init_process
from allennlp.common.util import find_open_port
from allennlp.training.metrics import AttachmentScores, attachment_scores

from allennlp_multilang_elmo.compat import attachment_scores as patch
from allennlp_multilang_elmo.compat._patching import original


def _batch(rank: int) -> List[torch.Tensor]:
    """Predicted heads and labels, gold heads and labels; each worker's batch has its own shape."""
    shape = (2, 3) if rank == 0 else (3, 5)
    generator = torch.Generator().manual_seed(rank)
    return [torch.randint(0, 3, shape, generator=generator) for _ in range(4)]


def _score_batch(rank: int, world_size: int, gpu_id: int, stock: bool, out_dir: str) -> None:
    if stock:
        # The abort is expected: no need for pytest's faulthandler dump of it.
        faulthandler.disable()
        # Only in this forked worker: the parent keeps the patch.
        attachment_scores.dist_reduce_sum = original(attachment_scores, "dist_reduce_sum")
    metric = AttachmentScores()
    metric(*_batch(rank))
    (pathlib.Path(out_dir) / f"{rank}.json").write_text(json.dumps(metric.get_metric()))


class TestAttachmentScoresPatch(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        patch.apply()

    def _run_gloo(self, stock: bool) -> List[Dict[str, float]]:
        # Two CPU workers with gloo, like `"distributed": {"cuda_devices": [-1, -1]}`; forked, so
        # they start fast and inherit the patch.
        mp.start_processes(
            init_process,
            args=(
                2,
                [-1, -1],
                _score_batch,
                (stock, str(self.TEST_DIR)),
                None,
                "127.0.0.1",
                find_open_port(),
            ),
            nprocs=2,
            start_method="fork",
        )
        return [json.loads((self.TEST_DIR / f"{rank}.json").read_text()) for rank in (0, 1)]

    def test_stock_metric_aborts_gloo_on_different_batch_shapes(self):
        with pytest.raises(mp.ProcessExitedException, match="SIGABRT"):
            self._run_gloo(stock=True)

    def test_distributed_scores_equal_single_process_scores(self):
        single = AttachmentScores()
        for rank in (0, 1):
            single(*_batch(rank))
        expected = single.get_metric()
        assert 0.0 < expected["UAS"] < 1.0
        assert self._run_gloo(stock=False) == [expected, expected]
