"""
Speed and memory of `elmo_token_embedder_multilang` against AllenNLP's own `Elmo`, measured in the
same run on the same tiny bilm-tf models: what the multilingual wrapper (language routing,
alignment, and for mixed batches the per-language split and regrouping) costs on top of ELMo.

    .venv/bin/python benchmarks/embedder_overhead.py [--batches 30] [--batch-size 32]

Prints ratios (multilang / Elmo); the machines here are noisy, so compare ratios, not seconds.
"""
import argparse
import statistics
import tempfile
import time
from typing import Callable, List

import torch
from allennlp.modules.elmo import Elmo, batch_to_ids

from allennlp_multilang_elmo.common.language_codes import encode_language
from allennlp_multilang_elmo.modules.token_embedders import ElmoTokenEmbedderMultiLang
from allennlp_multilang_elmo.testing import elmo_options, write_multilang_elmo

LANGUAGES = ["en", "de", "fr"]


def sentences(batch_size: int, seed: int) -> List[List[str]]:
    rng = torch.Generator().manual_seed(seed)
    lengths = torch.randint(5, 40, (batch_size,), generator=rng).tolist()
    return [[f"w{(i * 7 + j) % 997}" for j in range(length)] for i, length in enumerate(lengths)]


def timed_pair(first: Callable[[], object], second: Callable[[], object], repeats: int):
    """Median seconds of each, calls interleaved so that machine noise hits both alike."""
    first(), second()
    times: List[List[float]] = [[], []]
    for _ in range(repeats):
        for index, run in enumerate((first, second)):
            start = time.perf_counter()
            run()
            times[index].append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def state_bytes(module: torch.nn.Module) -> int:
    """Bytes of parameters and buffers: what the module keeps in memory and in archives."""
    tensors = list(module.parameters()) + list(module.buffers())
    return sum(t.numel() * t.element_size() for t in tensors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    options = elmo_options(projection_dim=64, cell_dim=256, filters=((1, 32), (2, 32), (3, 64)))
    files = write_multilang_elmo(tempfile.mkdtemp(), LANGUAGES, options)
    embedder = ElmoTokenEmbedderMultiLang(dropout=0.0, **files).eval()
    elmos = {
        lang: Elmo(files["options_files"][lang], files["weight_files"][lang], 1, dropout=0.0).eval()
        for lang in LANGUAGES
    }
    char_ids = batch_to_ids(sentences(args.batch_size, seed=0))
    mixed = [LANGUAGES[i % len(LANGUAGES)] for i in range(args.batch_size)]
    codes = torch.tensor([encode_language(lang) for lang in mixed], dtype=torch.uint8)
    codes = codes.unsqueeze(1).expand(*char_ids.shape[:-1], -1)

    rows = {lang: [i for i, l in enumerate(mixed) if l == lang] for lang in LANGUAGES}

    def elmo_mixed():
        # AllenNLP's Elmo cannot mix biLMs in a batch: its counterpart runs each language's biLM
        # on that language's rows (and skips the alignment, which is the wrapper's extra work).
        return [elmos[lang](char_ids[r])["elmo_representations"][0] for lang, r in rows.items()]

    with torch.no_grad():
        # One language per batch, the same_language sampler's case.
        elmo_one, ours_one = timed_pair(
            lambda: elmos["fr"](char_ids)["elmo_representations"][0],
            lambda: embedder(char_ids, "fr"),
            args.batches,
        )
        elmo_mix, ours_mix = timed_pair(elmo_mixed, lambda: embedder(char_ids, codes), args.batches)
    memory_elmo = sum(state_bytes(elmo) for elmo in elmos.values())
    memory_ours = state_bytes(embedder)

    print(f"batch {tuple(char_ids.shape[:2])}, {args.batches} timed batches each, "
          f"torch threads {torch.get_num_threads()}")
    print(f"{'case':<36}{'Elmo':>12}{'multilang':>12}{'ratio':>8}")
    for case, elmo_value, ours in [
        ("one language per batch (s)", elmo_one, ours_one),
        ("3 languages mixed in a batch (s)", elmo_mix, ours_mix),
    ]:
        print(f"{case:<36}{elmo_value:>12.4f}{ours:>12.4f}{ours / elmo_value:>8.3f}")
    print(f"{'parameters + buffers (bytes)':<36}{memory_elmo:>12d}{memory_ours:>12d}"
          f"{memory_ours / memory_elmo:>8.3f}")


if __name__ == "__main__":
    main()
