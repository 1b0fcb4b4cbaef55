import os
from collections import Counter
from types import SimpleNamespace

from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp_models.structured_prediction.dataset_readers.universal_dependencies import (
    UniversalDependenciesDatasetReader,
)
from helpers.demo_training import REPO_ROOT

from allennlp_multilang_elmo.data.dataset_readers import UniversalDependenciesMultiLangDatasetReader
from allennlp_multilang_elmo.training.callbacks import ReaderPassPerEpochCallback

DEV = os.path.join(REPO_ROOT, "tests", "fixtures", "ud_multilang", "*_pud-ud-dev.conllu")


def sentences(instances):
    return Counter((i["metadata"]["lang"], tuple(i["metadata"]["words"])) for i in instances)


def pass_of(pass_index: int) -> Counter:
    reader = UniversalDependenciesMultiLangDatasetReader(instances_per_language=3)
    reader.set_pass(pass_index)
    return sentences(reader.read(DEV))


def test_workers_read_the_pass_of_the_epoch():
    reader = UniversalDependenciesMultiLangDatasetReader(instances_per_language=3)
    loader = MultiProcessDataLoader(
        reader, DEV, batch_size=5, num_workers=2, max_instances_in_memory=15, quiet=True
    )
    trainer = SimpleNamespace(data_loader=loader, _start_after_epochs_completed=0)
    callback = ReaderPassPerEpochCallback(serialization_dir="unused")
    callback.on_start(trainer)
    epochs = []
    for epoch in range(3):
        epochs.append(sentences(loader.iter_instances()))
        callback.on_epoch(trainer, metrics={}, epoch=epoch)
    assert epochs == [pass_of(0), pass_of(1), pass_of(2)]
    assert epochs[0] != epochs[1]


def test_recovery_resumes_at_the_pass_of_the_first_epoch_to_train():
    reader = UniversalDependenciesMultiLangDatasetReader(instances_per_language=3)
    trainer = SimpleNamespace(
        data_loader=SimpleNamespace(reader=reader), _start_after_epochs_completed=4
    )
    ReaderPassPerEpochCallback(serialization_dir="unused").on_start(trainer)
    # The trainer replays the finished epochs (reading, not training), then trains epoch 4.
    for _ in range(5):
        last = sentences(reader.read(DEV))
    assert last == pass_of(4)


def test_other_readers_are_left_alone():
    # allennlp-models' UD reader has no passes: the callback must neither fail nor touch it.
    reader = UniversalDependenciesDatasetReader()
    before = dict(vars(reader))
    trainer = SimpleNamespace(
        data_loader=SimpleNamespace(reader=reader), _start_after_epochs_completed=2
    )
    callback = ReaderPassPerEpochCallback(serialization_dir="unused")
    callback.on_start(trainer)
    callback.on_epoch(trainer, metrics={}, epoch=2)
    assert vars(reader) == before and not hasattr(reader, "set_pass")
    # A loader without a reader (e.g. a SimpleDataLoader) is left alone too.
    callback.on_start(SimpleNamespace(data_loader=object(), _start_after_epochs_completed=0))
