"""
biLM training (`training_configs/elmo_bilm.jsonnet`, the shipped geometry) on the shipped Bible's
Spanish column, in real `allennlp train` processes:

- `memory`: peak resident memory as the corpus grows. The same number of batches is trained on 1x,
  4x and 16x a small corpus (the first verses, repeated when the Bible has too few), once streamed
  (the config as shipped) and once with the data loader holding every instance
  (`max_instances_in_memory: null`: how AllenNLP reads a corpus by default, and how this project
  trained before it streamed). One thread; a run's peak RSS is the kernel's count (`wait4`).
- `processes`: throughput of one process against AllenNLP's distributed training in two (gloo on
  CPU). Each process trains the same number of batches of 64 sentences, so two processes train
  twice the sentences; rates are sentences and predicted tokens (words and the sentence end, per
  direction) per second of the trainer's `training_duration`, which includes a validation pass.
  Processes get `cores / processes` torch threads (the package's default).

    .venv/bin/python benchmarks/bilm_training.py memory [--base-verses 1700] [--batches 8]
    .venv/bin/python benchmarks/bilm_training.py processes [--batches 80] [--processes 1 2]

Validation is on the first 128 held-out verses.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Optional

from allennlp_multilang_elmo.data.dataset_readers.bilm_text import BilmTextDatasetReader

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLENNLP = os.path.join(os.path.dirname(sys.executable), "allennlp")
CONFIG = os.path.join(REPO_ROOT, "training_configs", "elmo_bilm.jsonnet")
BIBLE = os.path.join(REPO_ROOT, "data", "bible-en-es", "parallel_en_es-train.tsv")
HELD_OUT = os.path.join(REPO_ROOT, "data", "bible-en-es", "parallel_en_es-heldout.tsv")
SPANISH_COLUMN = 2
NUM_STREAMS = 64


def write_verses(path: str, verses: List[str], size: int) -> None:
    """`size` verses: from the start, then again from the start if there are fewer."""
    with open(path, "w", encoding="utf-8") as file:
        for index in range(size):
            file.write(verses[index % len(verses)])


def train(
    train_file: str, validation: str, out: str, overrides: Dict[str, Any], threads: Optional[int]
) -> Dict[str, float]:
    """Runs `allennlp train`: its peak RSS (MiB) and the trainer's training seconds."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    if threads is not None:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env.update(BILM_LANGUAGE="es", BILM_TRAIN=train_file, BILM_VALIDATION=validation)
    overrides = {"dataset_reader.column": SPANISH_COLUMN, "trainer.num_epochs": 1, **overrides}
    log = out + ".log"
    with open(log, "w") as stderr:
        process = subprocess.Popen(
            [ALLENNLP, "train", CONFIG, "-s", out, "-o", json.dumps(overrides)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        # wait4, not wait: the kernel's peak RSS of this very process.
        _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        with open(log) as file:
            raise SystemExit(f"allennlp train failed ({out}):\n{file.read()[-3000:]}")
    with open(os.path.join(out, "metrics.json")) as file:
        hours, minutes, seconds = json.load(file)["training_duration"].split(":")
    seconds_trained = 3600 * int(hours) + 60 * int(minutes) + float(seconds)
    return {"peak_mib": usage.ru_maxrss / 1024, "seconds": seconds_trained}


def memory(args: argparse.Namespace, folder: str, validation: str) -> None:
    with open(BIBLE, encoding="utf-8") as file:
        verses = file.readlines()
    results = []
    for size in args.sizes:
        train_file = os.path.join(folder, f"train-{size}x.tsv")
        write_verses(train_file, verses, size * args.base_verses)
        for mode, loader in (
            ("streamed", {}),
            ("all in memory", {"data_loader.max_instances_in_memory": None}),
        ):
            out = os.path.join(folder, f"run-{size}-{len(results)}")
            result = train(
                train_file,
                validation,
                out,
                {"data_loader.batches_per_epoch": args.batches, **loader},
                1,
            )
            results.append({"size": size, "mode": mode, **result})
            print(f"{size:>3}x {mode:>14}: peak {result['peak_mib']:7.0f} MiB", flush=True)
    print("\n| corpus | verses | streamed peak MiB (vs 1x) | all in memory peak MiB (vs 1x) |")
    print("|---|---:|---:|---:|")
    base = {r["mode"]: r["peak_mib"] for r in results if r["size"] == args.sizes[0]}
    for size in args.sizes:
        row = {r["mode"]: r["peak_mib"] for r in results if r["size"] == size}
        cells = [f"{row[m]:.0f} ({row[m] / base[m]:.2f}x)" for m in ("streamed", "all in memory")]
        print(f"| {size}x | {size * args.base_verses:,} | {cells[0]} | {cells[1]} |")


def processes(args: argparse.Namespace, folder: str, validation: str) -> None:
    sentences = BilmTextDatasetReader(column=SPANISH_COLUMN, language="es").read_sentences(BIBLE)
    tokens_per_sentence = sum(len(words) + 1 for words in sentences) / len(sentences)
    rates: List[float] = []
    for count in args.processes:
        overrides: Dict[str, Any] = {"data_loader.batches_per_epoch": args.batches}
        if count > 1:
            overrides["distributed"] = {"cuda_devices": [-1] * count}
        out = os.path.join(folder, f"run-{count}")
        seconds = train(BIBLE, validation, out, overrides, None)["seconds"]
        trained = count * args.batches * NUM_STREAMS
        rates.append(trained / seconds)
        print(
            f"{count} process(es): {trained} sentences in {seconds:.1f} s: "
            f"{rates[-1]:.1f} sentences/s, {rates[-1] * tokens_per_sentence:,.0f} tokens/s "
            f"({rates[-1] / rates[0]:.2f}x)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cases = parser.add_subparsers(dest="case", required=True)
    memory_case = cases.add_parser("memory")
    memory_case.add_argument("--base-verses", type=int, default=1700)
    memory_case.add_argument("--batches", type=int, default=8, help="batches in every run")
    memory_case.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 16])
    processes_case = cases.add_parser("processes")
    processes_case.add_argument("--batches", type=int, default=80, help="batches a process")
    processes_case.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        validation = os.path.join(folder, "validation.tsv")
        with open(HELD_OUT, encoding="utf-8") as file:
            write_verses(validation, file.readlines()[:128], 128)
        {"memory": memory, "processes": processes}[args.case](args, folder, validation)


if __name__ == "__main__":
    main()
