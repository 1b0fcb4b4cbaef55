"""
Wall time of `elmo-anchors` as one process against two shards run in parallel and merged, on the
shipped Spanish Bible biLM (`data/elmo-bible/es`) and the shipped Spanish UD PUD treebank (read
`--repeat` times: 8,000 sentences by default), and how far the merged anchors are from the single
process's. Times include each command's start-up (about 5 s here).

    .venv/bin/python benchmarks/anchors_shards.py [--shards 2] [--threads 1] [--repeat 8]

Every process runs `--deterministic` on `--threads` torch threads; the shards start together and
the time is until the last one ends, plus the merge. On a machine with fewer free cores than
shards times threads the shards share cores: compare the speed-up with the free cores.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import List

import numpy

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLENNLP = os.path.join(os.path.dirname(sys.executable), "allennlp")
BILM = os.path.join(REPO_ROOT, "data", "elmo-bible", "es")
CORPUS = sorted(glob.glob(os.path.join(REPO_ROOT, "data", "ud-pud", "es_pud-ud-*.conllu")))


def anchors_command(output_dir: str, corpus: List[str], *extra: str) -> List[str]:
    return [
        ALLENNLP,
        "elmo-anchors",
        os.path.join(BILM, "options.json"),
        os.path.join(BILM, "weights.hdf5"),
        *corpus,
        "--deterministic",
        "--output-dir",
        output_dir,
        *extra,
    ]


def run_all(commands: List[List[str]], threads: int) -> float:
    """Runs `commands` in parallel; the seconds until the last one ends."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    start = time.perf_counter()
    processes = [
        subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for c in commands
    ]
    for process in processes:
        _, stderr = process.communicate()
        if process.returncode != 0:
            raise SystemExit(stderr.decode()[-3000:])
    return time.perf_counter() - start


def vectors(path: str) -> dict:
    with open(path, encoding="utf-8") as file:
        next(file)
        return {
            fields[0]: numpy.array(fields[1:], dtype=numpy.float64)
            for fields in (line.rstrip("\n").split(" ") for line in file)
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=8, help="read the treebank this many times")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        corpus = []  # copies: the command reads a file given twice once
        for copy in range(args.repeat):
            for path in CORPUS:
                corpus.append(os.path.join(folder, f"{copy}-{os.path.basename(path)}"))
                shutil.copyfile(path, corpus[-1])
        single = os.path.join(folder, "single")
        one = run_all([anchors_command(single, corpus)], args.threads)
        shard_dirs = [os.path.join(folder, f"shard-{i}") for i in range(1, args.shards + 1)]
        sharded = run_all(
            [
                anchors_command(d, corpus, "--shard", f"{i}/{args.shards}")
                for i, d in enumerate(shard_dirs, 1)
            ],
            args.threads,
        )
        merged = os.path.join(folder, "merged")
        merge = run_all(
            [[ALLENNLP, "elmo-anchors", "--merge", *shard_dirs, "--output-dir", merged]], 1
        )
        worst = 0.0
        for path in sorted(glob.glob(os.path.join(single, "anchors_layer*.vec"))):
            a, b = vectors(path), vectors(os.path.join(merged, os.path.basename(path)))
            assert a.keys() == b.keys(), "different words"
            worst = max(worst, max(float(numpy.abs(a[w] - b[w]).max()) for w in a))
    names = ", ".join(os.path.basename(path) for path in CORPUS)
    print(f"corpus: {names}, {args.repeat} times; {args.threads} thread(s) each")
    print(f"one process:        {one:6.1f} s")
    print(f"{args.shards} shards in parallel: {sharded:6.1f} s, merge {merge:4.1f} s")
    total = sharded + merge
    print(f"speed-up (shards + merge): {one / total:.2f}x; shards: {one / sharded:.2f}x")
    print(f"largest difference of the merged anchors from the single process's: {worst:.1e}")


if __name__ == "__main__":
    main()
