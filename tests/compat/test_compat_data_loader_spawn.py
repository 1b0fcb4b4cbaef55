import pathlib
from typing import Optional

import pytest
from allennlp.common.testing import AllenNlpTestCase
from allennlp.data import Vocabulary
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.data.token_indexers import SingleIdTokenIndexer
from allennlp_models.structured_prediction.dataset_readers.universal_dependencies import (
    UniversalDependenciesDatasetReader,
)

from allennlp_multilang_elmo.compat import apply_patches
from allennlp_multilang_elmo.compat._patching import unpatched

DEV = pathlib.Path(__file__).parents[1] / "fixtures" / "stack" / "en_dev.conllu"
WORKER_STARTERS = ("_start_instance_workers", "_start_batch_workers")


def _spawn_loader(max_instances_in_memory: Optional[int]) -> MultiProcessDataLoader:
    """
    A loader with one spawned worker. Without `max_instances_in_memory` it reads all instances with
    an instance worker as soon as it is built; with it, it starts batch workers on every iteration.
    """
    reader = UniversalDependenciesDatasetReader(token_indexers={"tokens": SingleIdTokenIndexer()})
    loader = MultiProcessDataLoader(
        reader,
        str(DEV),
        batch_size=4,
        num_workers=1,
        start_method="spawn",
        max_instances_in_memory=max_instances_in_memory,
    )
    loader.index_with(Vocabulary.from_instances(reader.read(str(DEV))))
    return loader


class TestDataLoaderSpawnPatch(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        apply_patches()

    @pytest.mark.parametrize("max_instances_in_memory", [None, 4])
    def test_stock_loader_cannot_start_spawned_workers(self, max_instances_in_memory):
        with unpatched(MultiProcessDataLoader, *WORKER_STARTERS):
            with pytest.raises(RuntimeError, match="SemLock created in a fork context"):
                next(iter(_spawn_loader(max_instances_in_memory)))

    @pytest.mark.end_to_end
    def test_spawned_workers_run_patched(self):
        # The spawned instance worker reads with the stock UD reader, which only works there if the
        # worker applied our patches (B11) before reading.
        batches = list(_spawn_loader(max_instances_in_memory=None))
        assert sum(len(batch["metadata"]) for batch in batches) == 6
        assert all(batch["words"]["tokens"]["tokens"].min() >= 0 for batch in batches)
        # Known words, not only padding and OOV.
        assert batches[0]["words"]["tokens"]["tokens"].max() > 1
