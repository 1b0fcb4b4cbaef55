"""
Speed and memory of `elmo_token_embedder_multilang` (our biLM engine) against AllenNLP's own `Elmo`
on the same weights, measured in the same run with interleaved timings, on the original ELMo's
geometry (2x4096_512_2048cnn_2xhighway, random weights written once by the package's test-model
factory and reused) and batches of real sentences from the shipped PUD treebanks.

    .venv/bin/python benchmarks/elmo_speed.py [--repeats 3] [--threads 2] [--cases paper,...]

Cases: `paper` (layer-1 mix [-9e10, 1, -9e10], batch 32), `learned` (learned mix over all layers,
batch 32), `batch1` (paper mix, one sentence a batch), `training` (paper mix, `requires_grad=True`,
forward + backward, batch 32), `load` (one weight file; and resident memory per language), `cache`
(the demo's training epochs with and without the activation cache; `--cache-elmo original` runs
the demo with the original geometry's biLM instead of the demo's small ones). The machines here
are noisy: compare the ratios, not the seconds.
"""

import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import conllu
import torch
from allennlp.modules.elmo import Elmo, batch_to_ids

from allennlp_multilang_elmo.modules.elmo_weights import write_elmo_options, write_elmo_weights
from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options, random_elmo_weights
from allennlp_multilang_elmo.modules.token_embedders import ElmoTokenEmbedderMultiLang

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLENNLP = os.path.join(os.path.dirname(sys.executable), "allennlp")
OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

ORIGINAL = dict(
    char_dim=16,
    filters=((1, 32), (2, 32), (3, 64), (4, 128), (5, 256), (6, 512), (7, 1024)),
    n_highway=2,
    projection_dim=512,
    cell_dim=4096,
    n_layers=2,
)
TINY = dict(
    char_dim=4, filters=((1, 8), (2, 8)), n_highway=1, projection_dim=8, cell_dim=16, n_layers=2
)
PAPER_MIX = [-9e10, 1, -9e10]
MODEL_DIR = os.path.join(REPO_ROOT, "output", "benchmark-models")
DEMO_EN_ES = os.path.join(REPO_ROOT, "training_configs", "demo_en_es.jsonnet")


def model_files(geometry: Dict, name: str, model_dir: str = MODEL_DIR) -> Tuple[str, str]:
    """Options and weights of `geometry`, written once (seeded) and reused by later runs."""
    directory = os.path.join(model_dir, name)
    options_file = os.path.join(directory, "options.json")
    weight_file = os.path.join(directory, "weights.hdf5")
    if not os.path.exists(weight_file):
        options = elmo_options(**geometry)
        write_elmo_options(options, options_file)
        # ~1/sqrt(fan-in): activations in a realistic range, clips firing only sometimes.
        write_elmo_weights(random_elmo_weights(options, seed=0, scale=0.03), weight_file)
    return options_file, weight_file


def real_batches(batch_size: int, count: int) -> List[List[List[str]]]:
    """Consecutive batches of English PUD sentences (words of the basic tokens)."""
    sentences = []
    for path in sorted(glob.glob(os.path.join(REPO_ROOT, "data", "ud-pud", "en_pud-ud-*.conllu"))):
        with open(path, encoding="utf-8") as f:
            for sentence in conllu.parse_incr(f):
                sentences.append([t["form"] for t in sentence if isinstance(t["id"], int)])
    needed = batch_size * count
    return [sentences[i : i + batch_size] for i in range(0, needed, batch_size)]


def macs_per_token(geometry: Dict, lstm_layers: int) -> float:
    """Multiply-adds per position of the work a mix needs (char CNN, highway, projection, LSTMs)."""
    char_dim, filters = geometry["char_dim"], geometry["filters"]
    num_filters = sum(n for _, n in filters)
    cnn = sum(n * w * char_dim * (50 - w + 1) for w, n in filters)
    highway = geometry["n_highway"] * num_filters * 2 * num_filters
    projection = num_filters * geometry["projection_dim"]
    hidden, cell = geometry["projection_dim"], geometry["cell_dim"]
    lstm = 2 * lstm_layers * (2 * hidden * 4 * cell + cell * hidden)
    return cnn + highway + projection + lstm


def matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
    """This machine's large matrix-product rate with the current thread count."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9


def interleaved(runs: List[Callable[[], torch.Tensor]], inputs: List, repeats: int):
    """Runs every implementation on every batch in turn; median seconds and outputs of each."""
    times: List[List[float]] = [[] for _ in runs]
    differences = []
    for batch in inputs[:repeats]:
        outputs = []
        for index, run in enumerate(runs):
            start = time.perf_counter()
            outputs.append(run(batch))
            times[index].append(time.perf_counter() - start)
        differences.append((outputs[0] - outputs[1]).abs().max().item())
    return [statistics.median(t) for t in times], max(differences)


def build(files: Tuple[str, str], mix, requires_grad: bool, implementation: str):
    options_file, weight_file = files
    if implementation == "allennlp":
        return Elmo(
            options_file,
            weight_file,
            1,
            dropout=0.0,
            requires_grad=requires_grad,
            scalar_mix_parameters=mix,
        )
    return ElmoTokenEmbedderMultiLang(
        {"en": options_file},
        {"en": weight_file},
        dropout=0.0,
        requires_grad=requires_grad,
        scalar_mix_parameters=mix,
    )


def runner(module, implementation: str, training: bool) -> Callable:
    def run(char_ids):
        if training:
            module.zero_grad(set_to_none=True)
        with torch.set_grad_enabled(training):
            if implementation == "allennlp":
                output = module(char_ids)["elmo_representations"][0]
            else:
                output = module(char_ids, "en")
            if training:
                output.pow(2).sum().backward()
        return output.detach()

    return run


def peak_memory_mib(
    case: str, implementation: str, geometry: str, threads: int, model_dir: str
) -> float:
    """Peak resident memory of a fresh process that runs one case once with one implementation."""
    command = [
        sys.executable,
        __file__,
        "--probe",
        f"{case}:{implementation}",
        "--geometry",
        geometry,
    ]
    command += ["--threads", str(threads), "--model-dir", model_dir]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return float(output.strip().splitlines()[-1])


CASES = {
    # name: (mix, batch size, training)
    "paper": (PAPER_MIX, 32, False),
    "learned": (None, 32, False),
    "batch1": (PAPER_MIX, 1, False),
    "training": (PAPER_MIX, 32, True),
}


def run_case(case: str, files, geometry: Dict, repeats: int, rate: float) -> Dict:
    mix, batch_size, training = CASES[case]
    modules = [build(files, mix, training, impl) for impl in ("allennlp", "engine")]
    runs = [runner(m, impl, training) for m, impl in zip(modules, ("allennlp", "engine"))]
    batches = [batch_to_ids(b) for b in real_batches(batch_size, repeats + 1)]
    # One untimed batch each (allocator warm-up); both then carry the same state history.
    for run in runs:
        run(batches[0])
    (elmo_seconds, ours_seconds), difference = interleaved(runs, batches[1:], repeats)
    tokens = statistics.median(int((b > 0).any(-1).sum()) for b in batches[1 : repeats + 1])
    positions = statistics.median(
        int((b > 0).any(-1).sum()) + 2 * b.size(0) for b in batches[1 : repeats + 1]
    )
    lstm_layers = 1 if mix == PAPER_MIX else geometry["n_layers"]
    flop = 2 * macs_per_token(geometry, lstm_layers) * positions * (3 if training else 1)
    return {
        "case": case,
        "elmo_tokens_per_s": tokens / elmo_seconds,
        "ours_tokens_per_s": tokens / ours_seconds,
        "ratio": elmo_seconds / ours_seconds,
        "max_abs_difference": difference,
        "ours_gflops": flop / ours_seconds / 1e9,
        "share_of_matmul_rate": flop / ours_seconds / 1e9 / rate,
    }


def probe(case: str, implementation: str, geometry_name: str, model_dir: str) -> None:
    """Child process of `peak_memory_mib`: load, run one batch, print the peak RSS in MiB."""
    geometry = ORIGINAL if geometry_name == "original" else TINY
    files = model_files(geometry, geometry_name, model_dir)
    if case == "load":
        build(files, PAPER_MIX, False, implementation)
    else:
        mix, batch_size, training = CASES[case]
        module = build(files, mix, training, implementation)
        runner(module, implementation, training)(batch_to_ids(real_batches(batch_size, 1)[0]))
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent across exec.
    with open("/proc/self/status") as f:
        peak_kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    print(peak_kib / 1024)


def load_times(files, repeats: int) -> Tuple[float, float]:
    times: Dict[str, List[float]] = {"allennlp": [], "engine": []}
    for _ in range(repeats):
        for implementation in times:
            start = time.perf_counter()
            build(files, PAPER_MIX, False, implementation)
            times[implementation].append(time.perf_counter() - start)
    return statistics.median(times["allennlp"]), statistics.median(times["engine"])


def resident_per_weight_byte(files, languages: int) -> float:
    """Growth of resident memory when `languages` biLMs are loaded, over their weight bytes."""
    code = (
        "import resource\n"
        "from allennlp_multilang_elmo.modules.token_embedders import ElmoTokenEmbedderMultiLang\n"
        "def rss():\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * resource.getpagesize()\n"
        f"langs = ['l{{}}'.format(i) for i in range({languages})]\n"
        f"before = rss()\n"
        f"e = ElmoTokenEmbedderMultiLang({{l: {files[0]!r} for l in langs}}, "
        f"{{l: {files[1]!r} for l in langs}}, scalar_mix_parameters={PAPER_MIX})\n"
        "tensors = list(e.parameters()) + list(e.buffers())\n"
        "weights = sum(t.numel() * t.element_size() for t in tensors)\n"
        "print((rss() - before) / weights)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(output.stdout.strip().splitlines()[-1])


def demo_training(
    variant: str, root: str, epochs: int, threads: int, elmo_files: Optional[Tuple[str, str]]
) -> Dict:
    """
    `allennlp train` of the demo config (`training_configs/demo_en_es.jsonnet`, ELMo + UPOS) with
    one embedder variant: "stateful" (`elmo_token_embedder_multilang`), "deterministic", or
    "cached" (deterministic with the activation cache, empty at the start). With `elmo_files`,
    both languages' biLMs are that options and weight file instead of the demo's, unaligned.
    Returns the seconds of each epoch and the final metrics.
    """
    from allennlp.common import Params

    params = Params.from_file(DEMO_EN_ES, ext_vars={"DEMO_POS": "true"}).as_dict(quiet=True)
    model = params["model"]
    elmo = model["text_field_embedder"]["token_embedders"]["elmo"]
    del elmo["activation_cache"]
    if elmo_files is not None:
        elmo["options_files"] = {language: elmo_files[0] for language in elmo["options_files"]}
        elmo["weight_files"] = {language: elmo_files[1] for language in elmo["weight_files"]}
        del elmo["aligning_files"]
        with open(elmo_files[0]) as f:
            dim = 2 * json.load(f)["lstm"]["projection_dim"]
        model["encoder"]["input_size"] = dim + model["pos_tag_embedding"]["embedding_dim"]
        model["pos_tagger_encoder"]["input_size"] = dim
    if variant == "stateful":
        elmo["deterministic"] = False
    if variant == "cached":
        elmo["activation_cache"] = os.path.join(root, "activation-cache")
    params["trainer"].update(num_epochs=epochs, patience=None)
    config = os.path.join(root, f"{variant}.json")
    with open(config, "w") as f:
        json.dump(params, f)
    serialization_dir = os.path.join(root, variant)
    subprocess.run(
        [ALLENNLP, "train", config, "-s", serialization_dir],
        cwd=REPO_ROOT,
        # The same fixed thread count as the other cases: with more threads than free cores the
        # small operations of a small model wait on each other, and timings measure the load.
        env={**OFFLINE, "OMP_NUM_THREADS": str(threads)},
        check=True,
        capture_output=True,
    )
    elapsed = []
    for epoch in range(epochs):
        with open(os.path.join(serialization_dir, f"metrics_epoch_{epoch}.json")) as f:
            hours, minutes, seconds = json.load(f)["training_duration"].split(":")
            elapsed.append(int(hours) * 3600 + int(minutes) * 60 + float(seconds))
    with open(os.path.join(serialization_dir, "metrics.json")) as f:
        metrics = json.load(f)
    return {"epochs": [b - a for a, b in zip([0.0] + elapsed, elapsed)], "metrics": metrics}


def cache_report(
    epochs: int, threads: int, elmo_files: Optional[Tuple[str, str]], variants: Sequence[str]
) -> None:
    """The demo's epochs (training and validation) without and with the activation cache."""
    import tempfile

    root = tempfile.mkdtemp(prefix="elmo-cache-benchmark-")
    runs = {v: demo_training(v, root, epochs, threads, elmo_files) for v in variants}
    bilms = "the demo's biLMs" if elmo_files is None else "the original geometry's biLM"
    print(
        f"demo training with {bilms}, {epochs} epochs, {threads} threads (seconds per epoch, "
        "training and validation; epoch 1 fills the cache)"
    )
    for variant, run in runs.items():
        times = " ".join(f"{t:6.1f}" for t in run["epochs"])
        best = {name: 100 * run["metrics"][f"best_validation_{name}_en"] for name in ("UAS", "LAS")}
        print(f"{variant:<14}{times}   best validation UAS {best['UAS']:.2f} LAS {best['LAS']:.2f}")
    later = lambda run: statistics.mean(run["epochs"][1:])  # noqa: E731
    print(
        "epochs after the first, deterministic / cached: "
        f"{later(runs['deterministic']) / later(runs['cached']):.2f}x"
    )
    same = all(
        runs["deterministic"]["metrics"][key] == runs["cached"]["metrics"][key]
        for key in runs["cached"]["metrics"]
        if "LAS" in key or "UAS" in key
    )
    print(f"cached run's attachment scores identical to the uncached deterministic run: {same}")
    print(f"cache size: {du(os.path.join(root, 'activation-cache'))}")
    shutil.rmtree(root)  # the runs and the cache: up to a few GiB


def du(directory: str) -> str:
    size = sum(os.path.getsize(path) for path in glob.glob(os.path.join(directory, "*")))
    return f"{size / 2**20:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed batches per case")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cases", default="paper,learned,batch1,training,load")
    parser.add_argument("--geometry", choices=["original", "tiny"], default="original")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    parser.add_argument("--epochs", type=int, default=4, help="demo epochs of the cache case")
    parser.add_argument(
        "--cache-elmo",
        choices=["demo", "original"],
        default="demo",
        help="the cache case's biLMs: the demo's, or the original geometry's (deterministic and "
        "cached variants only)",
    )
    parser.add_argument("--model-dir", default=MODEL_DIR, help="where the models are kept")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.probe:
        probe(*args.probe.split(":"), args.geometry, args.model_dir)
        return

    cases = args.cases.split(",")
    if "cache" in cases:
        if args.cache_elmo == "demo":
            cache_report(args.epochs, args.threads, None, ("stateful", "deterministic", "cached"))
        else:
            elmo_files = model_files(ORIGINAL, "original", args.model_dir)
            cache_report(args.epochs, args.threads, elmo_files, ("deterministic", "cached"))
        cases.remove("cache")
        if not cases:
            return
    geometry = ORIGINAL if args.geometry == "original" else TINY
    files = model_files(geometry, args.geometry, args.model_dir)
    rate = matmul_gflops()
    print(
        f"geometry {args.geometry}, torch threads {args.threads}, "
        f"matrix-multiply rate {rate:.1f} GFLOP/s, {args.repeats} timed batches a case"
    )
    header = (
        f"{'case':<10}{'Elmo tok/s':>11}{'ours tok/s':>11}{'ratio':>7}{'max diff':>10}"
        f"{'GFLOP/s':>9}{'of mm':>7}{'Elmo MiB':>10}{'ours MiB':>10}"
    )
    print(header)
    for case in [c for c in cases if c in CASES]:
        result = run_case(case, files, geometry, args.repeats, rate)
        memory = ["", ""]
        if not args.no_memory:
            memory = [
                f"{peak_memory_mib(case, impl, args.geometry, args.threads, args.model_dir):.0f}"
                for impl in ("allennlp", "engine")
            ]
        print(
            f"{case:<10}{result['elmo_tokens_per_s']:>11.1f}{result['ours_tokens_per_s']:>11.1f}"
            f"{result['ratio']:>7.2f}{result['max_abs_difference']:>10.1e}"
            f"{result['ours_gflops']:>9.1f}{result['share_of_matmul_rate']:>7.0%}"
            f"{memory[0]:>10}{memory[1]:>10}"
        )
    if "load" in cases:
        elmo_load, ours_load = load_times(files, max(1, min(args.repeats, 2)))
        print(
            f"load of one weight file: Elmo {elmo_load:.2f} s, ours {ours_load:.2f} s, "
            f"ratio {elmo_load / ours_load:.1f}"
        )
        if not args.no_memory:
            growth = resident_per_weight_byte(files, 2)
            print(f"resident memory of 2 languages: {growth:.2f} x their weight bytes")


if __name__ == "__main__":
    main()
