import random
from collections import Counter
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import Instance, Vocabulary
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.data.fields import MetadataField, TextField
from allennlp.data.samplers import BatchSampler
from allennlp.data.tokenizers import Token

from allennlp_multilang_elmo.data.dataset_readers.universal_dependencies_multilang import (
    UniversalDependenciesMultiLangDatasetReader,
)
from allennlp_multilang_elmo.data.samplers.same_language_batch_sampler import (
    SameLanguageBatchSampler,
)

DEV = str(Path(__file__).resolve().parents[3] / "data" / "ud-pud" / "*_pud-ud-dev.conllu")


def make_instances(lengths_by_language: Dict[str, List[int]], seed: int = 0) -> List[Instance]:
    """Instances of the given languages and lengths, in a shuffled order."""
    reader = UniversalDependenciesMultiLangDatasetReader()
    instances = [
        reader.text_to_instance(lang, [f"w{i}" for i in range(length)], ["X"] * length)
        for lang, lengths in lengths_by_language.items()
        for length in lengths
    ]
    random.Random(seed).shuffle(instances)
    return instances


def lang(instance: Instance) -> str:
    return instance["metadata"]["lang"]


# Uneven languages: 7 + 5 + 1 instances.
UNEVEN = {"en": [3, 9, 1, 7, 5, 2, 8], "de": [4, 6, 2, 10, 3], "fr": [5]}


def test_batches_hold_one_language_and_cover_every_instance():
    instances = make_instances(UNEVEN)
    sampler = SameLanguageBatchSampler(batch_size=3, sorting_keys=["words"])
    batches = list(sampler.get_batch_indices(instances))
    for batch in batches:
        assert len({lang(instances[i]) for i in batch}) == 1
        assert 1 <= len(batch) <= 3
    assert sorted(i for batch in batches for i in batch) == list(range(len(instances)))
    # 7, 5 and 1 instances make 3 + 2 + 1 batches, not ceil(13 / 3) = 5.
    assert len(batches) == sampler.get_num_batches(instances) == 6


def test_without_shuffle_languages_come_in_order_sorted_by_length():
    instances = make_instances(UNEVEN)
    sampler = SameLanguageBatchSampler(batch_size=2, sorting_keys=["words"], shuffle=False)
    batches = list(sampler.get_batch_indices(instances))
    order = [(lang(instances[i]), len(instances[i]["words"])) for batch in batches for i in batch]
    assert order == [("de", n) for n in sorted(UNEVEN["de"])] + [
        ("en", n) for n in sorted(UNEVEN["en"])
    ] + [("fr", 5)]


@pytest.fixture
def seeded_random() -> Iterator[None]:
    """
    Python's global `random` (which the sampler shuffles with, as AllenNLP's bucket sampler does
    and as `allennlp train` seeds it) in a fixed state, restored afterwards.
    """
    state = random.getstate()
    random.seed(1)
    try:
        yield
    finally:
        random.setstate(state)


def test_shuffled_batches_are_buckets_of_similar_length(seeded_random):
    lengths = {"en": list(range(1, 41)), "it": list(range(1, 41))}
    instances = make_instances(lengths)
    sampler = SameLanguageBatchSampler(batch_size=4, sorting_keys=["words"], padding_noise=0.0)
    batches = list(sampler.get_batch_indices(instances))
    for batch in batches:
        batch_lengths = sorted(len(instances[i]["words"]) for i in batch)
        # Without noise, a batch is 4 consecutive lengths of its language.
        assert batch_lengths == list(range(batch_lengths[0], batch_lengths[0] + 4))
    # The languages' batches are shuffled together.
    languages = [lang(instances[batch[0]]) for batch in batches]
    assert languages != sorted(languages) and Counter(languages) == {"en": 10, "it": 10}


def test_drop_last_drops_each_languages_short_batch():
    instances = make_instances(UNEVEN)
    for batch_size, expected in [(3, 2 + 1 + 0), (5, 1 + 1 + 0), (1, 13)]:
        sampler = SameLanguageBatchSampler(batch_size=batch_size, drop_last=True)
        batches = list(sampler.get_batch_indices(instances))
        assert all(len(batch) == batch_size for batch in batches)
        assert len(batches) == sampler.get_num_batches(instances) == expected


def test_sorting_keys_are_guessed():
    instances = make_instances(UNEVEN)
    sampler = SameLanguageBatchSampler(batch_size=3)
    assert len(list(sampler.get_batch_indices(instances))) == 6
    assert sampler.sorting_keys == ["words"]


def test_instances_without_language_are_named():
    good = make_instances({"en": [2]})[0]
    no_metadata = Instance({"words": TextField([Token("a")])})
    no_lang = Instance(
        {"words": TextField([Token("a")]), "metadata": MetadataField({"words": ["a"]})}
    )
    sampler = SameLanguageBatchSampler(batch_size=2)
    for bad in (no_metadata, no_lang):
        with pytest.raises(ConfigurationError, match="Instance 1 has no language"):
            list(sampler.get_batch_indices([good, bad]))
        with pytest.raises(ConfigurationError, match="Instance 1 has no language"):
            sampler.get_num_batches([good, bad])


def test_from_params():
    sampler = BatchSampler.from_params(
        Params(
            {"type": "same_language", "batch_size": 8, "sorting_keys": ["words"], "drop_last": True}
        )
    )
    assert isinstance(sampler, SameLanguageBatchSampler)
    assert (sampler.batch_size, sampler.sorting_keys, sampler.drop_last) == (8, ["words"], True)
    assert sampler.get_batch_size() == 8


def batch_languages(batch) -> List[str]:
    return [metadata["lang"] for metadata in batch["metadata"]]


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.from_instances(UniversalDependenciesMultiLangDatasetReader().read(DEV))


def test_data_loader_with_the_reader(vocab):
    sampler = SameLanguageBatchSampler(batch_size=16, sorting_keys=["words"])
    loader = MultiProcessDataLoader(
        UniversalDependenciesMultiLangDatasetReader(), DEV, batch_sampler=sampler, quiet=True
    )
    loader.index_with(vocab)
    batches = list(loader)
    # 84 sentences per language: 6 batches each.
    assert len(batches) == len(loader) == 5 * 6
    counts: Counter = Counter()
    for batch in batches:
        languages = batch_languages(batch)
        assert len(set(languages)) == 1
        counts[languages[0]] += len(languages)
        assert batch["words"]["tokens"]["tokens"].shape[0] == len(languages)
    assert counts == {lang: 84 for lang in ["de", "en", "es", "fr", "it"]}


def test_data_loader_with_balanced_chunks_and_workers(vocab):
    reader = UniversalDependenciesMultiLangDatasetReader(instances_per_language=16)
    sampler = SameLanguageBatchSampler(batch_size=8, sorting_keys=["words"])
    loader = MultiProcessDataLoader(
        reader, DEV, batch_sampler=sampler, max_instances_in_memory=40, num_workers=2, quiet=True
    )
    loader.index_with(vocab)
    batches = list(loader)
    # Each worker reads every other instance of the balanced stream: one chunk of 40 holding 8
    # sentences of each language, which make one full batch per language.
    assert len(batches) == 2 * 5
    assert all(batch_languages(batch) == [batch_languages(batch)[0]] * 8 for batch in batches)
    assert Counter(lang for batch in batches for lang in batch_languages(batch)) == {
        lang: 16 for lang in ["de", "en", "es", "fr", "it"]
    }
