"""
B11: allennlp-models' stock `universal_dependencies` reader cannot be used with `num_workers > 0`.

AllenNLP 2.x data-loader workers must send instances without token indexers; the main process adds
them with `DatasetReader.apply_token_indexers`. The stock reader's `text_to_instance` builds its
`words` TextField with the indexers already set and has no `apply_token_indexers`, so every
instance worker fails on its first instance with `ValueError: Found a TextField (words) with
token_indexers already applied, but you're using num_workers > 0 in your data loader`.

The patch changes the stock class in place (its registered name and constructor stay the same):
`text_to_instance` returns the `words` field without indexers and `apply_token_indexers` sets the
reader's indexers on it. Data loaders and `DatasetReader.read` outside workers already call
`apply_token_indexers`, and so do the base `Predictor.predict_instance` and
`predict_batch_instance`; but the stock `biaffine_dependency_parser` predictor overrides both
without that call, so they are wrapped to call it first. Subclasses of the reader inherit the new
behaviour.
"""

import functools
from typing import Callable, List

from allennlp.common.util import JsonDict
from allennlp.data import Instance
from allennlp.predictors import Predictor
from allennlp_models.structured_prediction.dataset_readers.universal_dependencies import (
    UniversalDependenciesDatasetReader,
)
from allennlp_models.structured_prediction.predictors.biaffine_dependency_parser import (
    BiaffineDependencyParserPredictor,
)

from allennlp_multilang_elmo.compat._patching import replace_attribute, written_for

_WORDS = "words"


def _text_to_instance_without_indexers(text_to_instance: Callable[..., Instance]) -> Callable:
    @functools.wraps(text_to_instance)
    def wrapper(self: UniversalDependenciesDatasetReader, *args, **kwargs) -> Instance:
        instance = text_to_instance(self, *args, **kwargs)
        # Workers must not ship indexers; `apply_token_indexers` adds them in the main process.
        instance.fields[_WORDS].token_indexers = None  # type: ignore[attr-defined]
        return instance

    return wrapper


def _apply_token_indexers(self: UniversalDependenciesDatasetReader, instance: Instance) -> None:
    instance.fields[_WORDS].token_indexers = self._token_indexers  # type: ignore[attr-defined]


def _indexing_instance(predict: Callable[[Predictor, Instance], JsonDict]) -> Callable:
    @functools.wraps(predict)
    def wrapper(self: Predictor, instance: Instance) -> JsonDict:
        self._dataset_reader.apply_token_indexers(instance)
        return predict(self, instance)

    return wrapper


def _indexing_batch(predict: Callable[[Predictor, List[Instance]], List[JsonDict]]) -> Callable:
    @functools.wraps(predict)
    def wrapper(self: Predictor, instances: List[Instance]) -> List[JsonDict]:
        for instance in instances:
            self._dataset_reader.apply_token_indexers(instance)
        return predict(self, instances)

    return wrapper


# An allennlp-models bug, whatever the torch version.
VERSIONS = {"allennlp": "==2.10.1", "allennlp-models": "==2.10.1"}
"""The installed versions this patch was written for (see `written_for`)."""


def apply() -> None:
    """Moves the stock UD reader's indexers into `apply_token_indexers`, and its predictor along."""
    if not written_for("B11 (universal_dependencies)", VERSIONS):
        return
    reader, predictor = UniversalDependenciesDatasetReader, BiaffineDependencyParserPredictor
    replace_attribute(reader, "text_to_instance", _text_to_instance_without_indexers)
    replace_attribute(reader, "apply_token_indexers", lambda _: _apply_token_indexers)
    replace_attribute(predictor, "predict_instance", _indexing_instance)
    replace_attribute(predictor, "predict_batch_instance", _indexing_batch)
