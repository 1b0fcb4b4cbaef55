"""
Throughput of `elmo-anchors` against the embedder's own forward pass, measured in the same run on
the same tiny bilm-tf model and the same sentences (the shipped UD PUD training treebanks): anchors
add character-id conversion and the running sums on top of the biLM, the embedder adds the scalar
mix; the embedder gets its character ids ready-made, as from a data loader.

    .venv/bin/python benchmarks/anchors_throughput.py [--sentences 320] [--batch-size 64]

Prints sentences/s and tokens/s of both and their ratio (anchors / embedder), also against the
embedder with the character-id conversion (`batch_to_ids`) that anchors include; the machines here
are noisy, so compare ratios, not absolute numbers.
"""

import argparse
import glob
import itertools
import os
import statistics
import tempfile
import time
from typing import Callable, List

import torch
from allennlp.modules.elmo import batch_to_ids

from allennlp_multilang_elmo.alignment.anchors import compute_anchors
from allennlp_multilang_elmo.alignment.corpus import read_sentences
from allennlp_multilang_elmo.modules.elmo_bilm import build_bilm
from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options, write_elmo_model
from allennlp_multilang_elmo.modules.token_embedders import ElmoTokenEmbedderMultiLang

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(runs: List[Callable[[], object]], repeats: int) -> List[float]:
    """Median seconds of each run, calls interleaved so that machine noise hits all alike."""
    for run in runs:
        run()
    times: List[List[float]] = [[] for _ in runs]
    for _ in range(repeats):
        for index, run in enumerate(runs):
            start = time.perf_counter()
            run()
            times[index].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=320)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    files = sorted(glob.glob(os.path.join(REPO_ROOT, "data", "ud-pud", "*_pud-ud-train.conllu")))
    stream = (s for path in files for s in read_sentences(path, 400))
    sentences = list(itertools.islice(stream, args.sentences))
    num_tokens = sum(map(len, sentences))
    batches = [
        sentences[i : i + args.batch_size] for i in range(0, len(sentences), args.batch_size)
    ]
    character_batches = [batch_to_ids(batch) for batch in batches]

    options = elmo_options(projection_dim=64, cell_dim=256, filters=((1, 32), (2, 32), (3, 64)))
    options_file, weight_file = write_elmo_model(tempfile.mkdtemp(), seed=1, options=options)
    bilm = build_bilm(options_file, weight_file).eval()
    num_layers = bilm.num_layers
    # A learned mix: every layer is computed, as for anchors of every layer.
    embedder = ElmoTokenEmbedderMultiLang(
        {"en": options_file}, {"en": weight_file}, dropout=0.0
    ).eval()

    def anchors():
        compute_anchors(bilm, sentences, list(range(num_layers)), batch_size=args.batch_size)

    def embed():
        with torch.no_grad():
            for characters in character_batches:
                embedder(characters, "en")

    def embed_with_character_ids():
        with torch.no_grad():
            for batch in batches:
                embedder(batch_to_ids(batch), "en")

    anchors_time, embedder_time, embedder_with_ids_time = timed(
        [anchors, embed, embed_with_character_ids], args.repeats
    )
    print(f"{len(sentences)} sentences, {num_tokens} tokens, batches of {args.batch_size}")
    print(f"{'':<30}{'sentences/s':>14}{'tokens/s':>12}{'anchors/this':>14}")
    for name, seconds in (
        ("anchors", anchors_time),
        ("embedder forward", embedder_time),
        ("embedder + batch_to_ids", embedder_with_ids_time),
    ):
        print(
            f"{name:<30}{len(sentences) / seconds:>14.0f}{num_tokens / seconds:>12.0f}"
            f"{seconds / anchors_time:>14.2f}"
        )


if __name__ == "__main__":
    main()
