import warnings

import torch
from allennlp.common.file_utils import TensorCache
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.training.learning_rate_schedulers.pytorch_lr_schedulers import (
    ReduceOnPlateauLearningRateScheduler,
)
from allennlp.training.metrics import attachment_scores
from allennlp_models.structured_prediction.dataset_readers.universal_dependencies import (
    UniversalDependenciesDatasetReader,
)
from allennlp_models.structured_prediction.predictors.biaffine_dependency_parser import (
    BiaffineDependencyParserPredictor,
)

from allennlp_multilang_elmo.compat import apply_patches
from allennlp_multilang_elmo.compat._patching import is_patched, original

PATCHED = [
    (TensorCache, "__getitem__"),
    (ReduceOnPlateauLearningRateScheduler, "__init__"),
    (MultiProcessDataLoader, "_start_instance_workers"),
    (MultiProcessDataLoader, "_start_batch_workers"),
    (attachment_scores, "dist_reduce_sum"),
    (UniversalDependenciesDatasetReader, "text_to_instance"),
    (UniversalDependenciesDatasetReader, "apply_token_indexers"),
    (BiaffineDependencyParserPredictor, "predict_instance"),
    (BiaffineDependencyParserPredictor, "predict_batch_instance"),
]


def test_applying_the_patches_twice_changes_nothing():
    apply_patches()
    replacements = [vars(owner)[name] for owner, name in PATCHED]
    safe_globals = set(torch.serialization.get_safe_globals())
    filters = list(warnings.filters)

    apply_patches()

    assert [vars(owner)[name] for owner, name in PATCHED] == replacements
    assert set(torch.serialization.get_safe_globals()) == safe_globals
    assert warnings.filters == filters
    for owner, name in PATCHED:
        assert is_patched(owner, name)
        # Each replacement wraps the upstream object, not an earlier replacement.
        assert not hasattr(original(owner, name), "__compat_original__")
