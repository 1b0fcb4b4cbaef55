"""
Test-process settings. The suite runs many tiny models, and some tests start data-loader workers or
distributed processes beside pytest: with torch's default (one thread per core in every process) the
processes oversubscribe the cores and small operations spend most of their time waiting on thread
hand-offs. One thread per process, also for the processes that tests start (they inherit the
environment), keeps tiny-model tests fast and their timing independent of machine load.
"""

import os

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_variable] = "1"

import torch  # noqa: E402  (after the environment, so that child processes see it too)

torch.set_num_threads(1)

import pytest  # noqa: E402
from helpers.demo_training import train_demo  # noqa: E402


@pytest.fixture(scope="session")
def tiny_demo_run(tmp_path_factory):
    """
    The shipped tiny demo config trained once for the whole session by a real `allennlp train`
    process (tiny ELMo models in `<root>/elmo`, 1 epoch, deterministic ELMo, data loader workers
    reading the language-balanced stream): its serialization folder `<root>/model`. Tests read it
    and write their own files elsewhere.
    """
    return train_demo(
        tmp_path_factory.mktemp("tiny_demo"),
        {
            "trainer": {"num_epochs": 1},
            "data_loader": {"max_instances_in_memory": 24, "num_workers": 2},
            "model": {
                "text_field_embedder": {"token_embedders": {"elmo": {"deterministic": True}}}
            },
        },
    )
