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
- `speed`: training steps a second of the model alone (forward, backward, gradient clipping and
  Adam, as the trainer runs them; no data loading) on one thread, for the shipped geometry and the
  original ELMo's (2x4096_512_2048cnn_2xhighway, 8,192 samples), on the same batches of Bible
  verses (in stream order), in separate processes. `--engines` times other checkouts of this
  package too (each run by its `PYTHONPATH`), interleaved round by round, best round each: e.g. the
  engine before a change, from `git worktree add ../before <commit>`. Each geometry's row also
  gives the engine's rate in GFLOP/s against this machine's large matrix-product rate, measured in
  the same run: the multiply-adds of the model's matrix products per position (highway,
  projection, LSTM layers, the sampled softmax of both directions; forward, and twice that
  backward). The character convolutions are not counted (their work depends on the tokens'
  lengths), so the share is a lower bound.
- `epoch`: a whole `allennlp train` epoch of the shipped Spanish Bible biLM
  (`training_configs/elmo_bible.jsonnet`, its full held-out validation included) on one thread,
  for each of `--engines` (each run with its own config, data and `PYTHONPATH`, interleaved round
  by round, best round each): the trainer's `training_duration` and tokens a second (the words
  predicted per direction, as in `data/elmo-bible/es/training.json`), and the held-out perplexity.

    .venv/bin/python benchmarks/bilm_training.py memory [--base-verses 1700] [--batches 8]
    .venv/bin/python benchmarks/bilm_training.py processes [--batches 80] [--processes 1 2]
    .venv/bin/python benchmarks/bilm_training.py speed [--geometries shipped original]
        [--rounds 3] [--engines . ../before]
    .venv/bin/python benchmarks/bilm_training.py epoch [--rounds 1] [--engines . ../before]

Validation is on the first 128 held-out verses.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
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


# Per geometry: the model options' differences from the shipped recipe (elmo_bilm.libsonnet),
# sentences a batch, timed batches, negative samples.
GEOMETRIES: Dict[str, Dict[str, Any]] = {
    "shipped": {"lstm": {}, "char_cnn": {}, "streams": NUM_STREAMS, "batches": 20, "samples": 1024},
    "original": {
        "lstm": {"projection_dim": 512, "dim": 4096},
        "char_cnn": {
            "filters": [[1, 32], [2, 32], [3, 64], [4, 128], [5, 256], [6, 512], [7, 1024]],
            "n_highway": 2,
        },
        "streams": 16,
        "batches": 3,
        "samples": 8192,
    },
}
WARM_UP_BATCHES = 2


def geometry_options(name: str) -> Dict[str, Any]:
    """The bilm-tf options of a geometry: the shipped recipe's, with the geometry's changes."""
    import _jsonnet

    recipe = json.loads(
        _jsonnet.evaluate_snippet(
            "recipe",
            'local bilm = import "elmo_bilm.libsonnet"; bilm("es", "train", "validation")',
            jpathdir=[os.path.join(REPO_ROOT, "training_configs")],
        )
    )
    options = recipe["model"]["options"]
    geometry = GEOMETRIES[name]
    return {
        "lstm": {**options["lstm"], **geometry["lstm"]},
        "char_cnn": {**options["char_cnn"], **geometry["char_cnn"]},
    }


def training_flops_per_position(options: Dict[str, Any], samples: int) -> float:
    """
    See the module's docstring: the matrix products of one training step, per position (the
    character convolutions, whose cost depends on the tokens' lengths, not counted).
    """
    cnn, lstm = options["char_cnn"], options["lstm"]
    num_filters = sum(count for _, count in cnn["filters"])
    hidden, cell = lstm["projection_dim"], lstm["dim"]
    forward_macs = (
        cnn["n_highway"] * num_filters * 2 * num_filters
        + num_filters * hidden
        + 2 * lstm["n_layers"] * (2 * hidden * 4 * cell + cell * hidden)
    )
    softmax_macs = 2 * (samples + 1) * hidden
    return 2 * 3 * (forward_macs + softmax_macs)


def speed_worker(args: argparse.Namespace) -> None:
    """One engine, one geometry: per-batch seconds of training steps, as JSON on stdout."""
    import torch
    from allennlp.data import Batch, Vocabulary

    from allennlp_multilang_elmo.models.elmo_language_model import ElmoLanguageModel

    torch.set_num_threads(1)
    torch.manual_seed(0)
    geometry = GEOMETRIES[args.geometry]
    streams = geometry["streams"]
    reader = BilmTextDatasetReader(num_streams=streams, column=SPANISH_COLUMN, language="es")
    vocab = Vocabulary.from_instances(reader.read(BIBLE), min_count={"tokens": 3})
    count = streams * (WARM_UP_BATCHES + (args.batches or geometry["batches"]))
    instances = list(itertools.islice(reader.read(BIBLE), count))
    model = ElmoLanguageModel(
        vocab,
        options=geometry_options(args.geometry),
        num_samples=geometry["samples"],
        dropout=0.1,
        seed=1,
    )
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
    seconds, positions = [], []
    for index in range(0, count, streams):
        batch = Batch(instances[index : index + streams])
        batch.index_instances(vocab)
        tensors = batch.as_tensor_dict()
        start = time.perf_counter()
        optimizer.zero_grad()
        model(**tensors)["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        optimizer.step()
        seconds.append(time.perf_counter() - start)
        positions.append(int((tensors["tokens"]["tokens"]["tokens"] > 0).sum()))
    import allennlp_multilang_elmo

    print(
        json.dumps(
            {
                "seconds": seconds[WARM_UP_BATCHES:],
                "positions": positions,
                "package": allennlp_multilang_elmo.__file__,
            }
        )
    )


def check_engines(engines: List[str]) -> None:
    """Each `--engines` folder must be a checkout of this package (else another would be timed)."""
    for engine in engines:
        if not os.path.isfile(os.path.join(engine, "allennlp_multilang_elmo", "__init__.py")):
            raise SystemExit(
                f"--engines {engine}: not a checkout of this package (no "
                "allennlp_multilang_elmo/__init__.py in it)"
            )


def speed(args: argparse.Namespace, folder: str, validation: str) -> None:
    import torch

    torch.set_num_threads(1)
    from elmo_speed import matmul_gflops

    check_engines(args.engines)
    rate = matmul_gflops()
    print(f"matrix-product rate, one thread: {rate:.1f} GFLOP/s")
    print("| geometry | engine | tokens/s | vs first | GFLOP/s (of matrix-product rate) |")
    print("|---|---|---:|---:|---:|")
    for name in args.geometries:
        best: Dict[str, float] = {}
        positions: List[int] = []
        for _ in range(args.rounds):
            for engine in args.engines:
                env = {**os.environ, "PYTHONPATH": os.path.abspath(engine)}
                env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
                output = subprocess.run(
                    [sys.executable, __file__, "speed-worker", "--geometry", name]
                    + (["--batches", str(args.batches)] if args.batches else []),
                    env=env,
                    capture_output=True,
                    text=True,
                )
                if output.returncode != 0:
                    raise SystemExit(f"{name} on {engine} failed:\n{output.stderr[-3000:]}")
                result = json.loads(output.stdout.strip().splitlines()[-1])
                imported = os.path.realpath(result["package"])
                if not imported.startswith(os.path.realpath(engine) + os.sep):
                    raise SystemExit(f"--engines {engine}: the worker imported {imported} instead")
                positions = result["positions"][WARM_UP_BATCHES:]
                best[engine] = min(best.get(engine, float("inf")), sum(result["seconds"]))
        sentences = GEOMETRIES[name]["streams"] * len(positions)
        # Predicted tokens: each direction predicts all positions but one per sentence.
        tokens = sum(positions) - sentences
        flops = training_flops_per_position(
            geometry_options(name), GEOMETRIES[name]["samples"]
        ) * sum(positions)
        first = best[args.engines[0]]
        for engine in args.engines:
            achieved = flops / best[engine] / 1e9
            print(
                f"| {name} | {engine} | {tokens / best[engine]:,.0f} | "
                f"{first / best[engine]:.2f}x | {achieved:.1f} ({achieved / rate:.0%}) |",
                flush=True,
            )


def epoch(args: argparse.Namespace, folder: str, validation: str) -> None:
    check_engines(args.engines)
    sentences = BilmTextDatasetReader(column=SPANISH_COLUMN, language="es").read_sentences(BIBLE)
    tokens = sum(len(words) + 1 for words in sentences)
    best: Dict[str, float] = {}
    perplexity: Dict[str, float] = {}
    for round_index in range(args.rounds):
        for index, engine in enumerate(args.engines):
            engine = os.path.abspath(engine)
            env = {**os.environ, "PYTHONPATH": engine, "BILM_LANGUAGE": "es"}
            env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
            out = os.path.join(folder, f"epoch-{round_index}-{index}")
            overrides = json.dumps({"trainer.num_epochs": 1})
            command = [ALLENNLP, "train", "training_configs/elmo_bible.jsonnet", "-s", out]
            with open(out + ".log", "w") as log:
                status = subprocess.run(
                    command + ["-o", overrides], cwd=engine, env=env, stdout=log, stderr=log
                ).returncode
            if status != 0:
                with open(out + ".log") as file:
                    raise SystemExit(f"allennlp train failed ({engine}):\n{file.read()[-3000:]}")
            with open(os.path.join(out, "metrics.json")) as file:
                metrics = json.load(file)
            hours, minutes, seconds = metrics["training_duration"].split(":")
            duration = 3600 * int(hours) + 60 * int(minutes) + float(seconds)
            best[engine] = min(best.get(engine, float("inf")), duration)
            perplexity[engine] = metrics["validation_perplexity"]
            print(f"round {round_index + 1}, {engine}: {duration:.1f} s", flush=True)
    print(f"\n{tokens:,} tokens an epoch")
    print("| engine | epoch seconds | tokens/s | vs first | held-out perplexity |")
    print("|---|---:|---:|---:|---:|")
    first = best[os.path.abspath(args.engines[0])]
    for engine in args.engines:
        seconds = best[os.path.abspath(engine)]
        print(
            f"| {engine} | {seconds:.1f} | {tokens / seconds:,.0f} | {first / seconds:.2f}x | "
            f"{perplexity[os.path.abspath(engine)]:.2f} |"
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
    speed_case = cases.add_parser("speed")
    speed_case.add_argument(
        "--geometries", nargs="+", choices=list(GEOMETRIES), default=list(GEOMETRIES)
    )
    speed_case.add_argument("--rounds", type=int, default=3)
    speed_case.add_argument("--batches", type=int, help="timed batches (default: the geometry's)")
    speed_case.add_argument("--engines", nargs="+", default=[REPO_ROOT], help="package checkouts")
    epoch_case = cases.add_parser("epoch")
    epoch_case.add_argument("--rounds", type=int, default=1)
    epoch_case.add_argument("--engines", nargs="+", default=[REPO_ROOT], help="package checkouts")
    worker = cases.add_parser("speed-worker")
    worker.add_argument("--geometry", choices=list(GEOMETRIES), required=True)
    worker.add_argument("--batches", type=int)
    args = parser.parse_args()
    if args.case == "speed-worker":
        speed_worker(args)
        return
    with tempfile.TemporaryDirectory() as folder:
        validation = os.path.join(folder, "validation.tsv")
        with open(HELD_OUT, encoding="utf-8") as file:
            write_verses(validation, file.readlines()[:128], 128)
        {"memory": memory, "processes": processes, "speed": speed, "epoch": epoch}[args.case](
            args, folder, validation
        )


if __name__ == "__main__":
    main()
