import math
import random
from collections import defaultdict
from typing import Dict, Iterable, List, Mapping, Sequence

from allennlp.common.checks import ConfigurationError
from allennlp.common.util import lazy_groups_of
from allennlp.data.instance import Instance
from allennlp.data.samplers import BatchSampler, BucketBatchSampler


@BatchSampler.register("same_language")
class SameLanguageBatchSampler(BucketBatchSampler):
    """
    A `BucketBatchSampler` whose batches each hold a single language: instances are grouped by
    `metadata["lang"]` (as written by the `universal_dependencies_multilang` reader), each
    language's instances are sorted by (noisy) length and cut into batches as `BucketBatchSampler`
    does, and the batches of all languages are then shuffled together (when `shuffle`).

    Single-language batches are the original system's training recipe (its embedder took one
    language per batch); unlike the original `same_language` iterator, this sampler does bucket by
    length.

    With `max_instances_in_memory`, the data loader applies the sampler to one chunk at a time, so
    each language's last batch in a chunk may be smaller than `batch_size`; the language-balanced
    stream of `universal_dependencies_multilang` keeps the languages even within each chunk.

    Registered as a `BatchSampler` with name "same_language".

    # Parameters

    batch_size : `int`, required
        The size of each batch.
    sorting_keys : `List[str]`, optional (default = `None`)
        The fields to sort by (e.g. `["words"]`); guessed from the instances if not given.
    padding_noise : `float`, optional (default = `0.1`)
        The relative noise added to the lengths before sorting, so batches vary between epochs.
    drop_last : `bool`, optional (default = `False`)
        Whether to drop each language's last batch when it is smaller than `batch_size`.
    shuffle : `bool`, optional (default = `True`)
        Whether to shuffle the batches. If `False`, `padding_noise` is ignored and the batches come
        language by language, in sorted language order, from shortest to longest.
    """

    def get_batch_indices(self, instances: Sequence[Instance]) -> Iterable[List[int]]:
        batches: List[List[int]] = []
        for indices in self._indices_by_language(instances).values():
            sorted_positions, _ = self._argsort_by_padding([instances[i] for i in indices])
            for group in lazy_groups_of((indices[i] for i in sorted_positions), self.batch_size):
                if self.drop_last and len(group) < self.batch_size:
                    continue
                batches.append(group)
        if self.shuffle:
            random.shuffle(batches)
        return batches

    def get_num_batches(self, instances: Sequence[Instance]) -> int:
        rounding = math.floor if self.drop_last else math.ceil
        return sum(
            rounding(len(indices) / self.batch_size)
            for indices in self._indices_by_language(instances).values()
        )

    @staticmethod
    def _indices_by_language(instances: Sequence[Instance]) -> Dict[str, List[int]]:
        """The instance indices of each language, languages in sorted order."""
        by_language: Dict[str, List[int]] = defaultdict(list)
        for index, instance in enumerate(instances):
            metadata = getattr(instance.fields.get("metadata"), "metadata", None)
            language = metadata.get("lang") if isinstance(metadata, Mapping) else None
            if language is None:
                raise ConfigurationError(
                    f"Instance {index} has no language (a 'lang' entry in its 'metadata' field), "
                    "which the same_language sampler needs; read the data with the "
                    "universal_dependencies_multilang reader"
                )
            by_language[language].append(index)
        return {language: by_language[language] for language in sorted(by_language)}
