"""
Throughput of `allennlp parse` and `allennlp evaluate` with 1 and 2 torch threads and with torch's
default (with OpenMP's active and passive waiting), on an idle machine and beside one busy process
(a Python loop on one core), measured in the same run on the same archive and treebank; this
chooses the defaults of `parse`, `evaluate` and `predict` (torch's thread count, passive wait).

    .venv/bin/python benchmarks/parse_threads.py [--archive ARCHIVE] [--treebank FILE] [--repeats 1]

(default: the demo's ELMo + UPOS archive, output/demo/latest/pos-true/model.tar.gz, and Spanish
PUD's 812 training sentences).

Prints tokens/s (parsing only, as `parse` reports it) and seconds of `evaluate` (whole command,
model loading included) per setting, and each against one thread; the machines here are noisy, so
compare ratios.
"""

import argparse
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLENNLP = os.path.join(os.path.dirname(sys.executable), "allennlp")
SETTINGS = {
    "1 thread": ("1", False),
    "2 threads": ("2", False),
    "torch's default": (None, False),
    "default, passive": (None, True),
}
"""Threads (`None`: torch's default) and whether OpenMP threads wait passively (the launcher's)."""


def _busy() -> None:
    while True:
        pass


def environment(threads: Optional[str], passive: bool) -> Dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_NUM_THREADS") and k != "OMP_WAIT_POLICY"
    }
    if threads is not None:
        env.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    # The launcher sets a passive wait for parse, evaluate and predict unless this is set.
    env["OMP_WAIT_POLICY"] = "PASSIVE" if passive else "ACTIVE"
    return {**env, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def parse_rate(archive: str, treebank: str, setting, folder: str) -> float:
    threads, passive = setting
    # `--threads 0` keeps torch's default; the environment decides OpenMP's.
    result = subprocess.run(
        [ALLENNLP, "parse", archive, treebank, "--lang", "es", "--threads", threads or "0"]
        + ["--output-file", os.path.join(folder, "parsed.conllu")],
        env=environment(threads, passive),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(re.search(r"\((\d+) tokens/s\)", result.stdout).group(1))  # type: ignore


def evaluate_seconds(archive: str, treebank: str, setting, folder: str) -> float:
    threads, passive = setting
    start = time.perf_counter()
    subprocess.run(
        [ALLENNLP, "evaluate", archive, treebank, "--output-file", f"{folder}/metrics.json"],
        env=environment(threads, passive),
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - start


def measure(args: argparse.Namespace, folder: str) -> List[str]:
    lines = []
    for load in ("idle", "beside one busy process"):
        busy = None
        if load != "idle":
            busy = multiprocessing.Process(target=_busy, daemon=True)
            busy.start()
        try:
            rates, seconds = {}, {}
            for name, setting in SETTINGS.items():
                rates[name] = statistics.median(
                    parse_rate(args.archive, args.treebank, setting, folder)
                    for _ in range(args.repeats)
                )
                seconds[name] = statistics.median(
                    evaluate_seconds(args.archive, args.treebank, setting, folder)
                    for _ in range(args.repeats)
                )
        finally:
            if busy is not None:
                busy.terminate()
        for name in SETTINGS:
            lines.append(
                f"{load:24} {name:16} parse {rates[name]:6.0f} tokens/s "
                f"({rates[name] / rates['1 thread']:.2f}x)   evaluate {seconds[name]:6.1f} s "
                f"({seconds['1 thread'] / seconds[name]:.2f}x)"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--archive", default=os.path.join(REPO_ROOT, "output/demo/latest/pos-true/model.tar.gz")
    )
    parser.add_argument(
        "--treebank", default=os.path.join(REPO_ROOT, "data/ud-pud/es_pud-ud-train.conllu")
    )
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.treebank}; x: speed against one thread")
    with tempfile.TemporaryDirectory() as folder:
        for line in measure(args, folder):
            print(line)


if __name__ == "__main__":
    main()
