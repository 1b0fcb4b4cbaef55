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
