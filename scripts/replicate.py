#!/usr/bin/env python
"""
The paper's zero-shot table, replicated small (`make replicate`): parsers trained with
training_configs/zero_shot_parser.jsonnet on the shipped biLMs (data/elmo-libreoffice/, one
geometry for all seven languages, each aligned onto English), and evaluated zero-shot on de, es,
fr, it (all of UD PUD), pt (Bosque test) and sv (Talbanken test), each target added to the trained
archive with `elmo-add-language`, so that one parser serves every target.

Rows: the delexicalised parser (gold UPOS only: the same parser with its ELMo input zeroed, the
classic zero-shot baseline), ELMo + gold UPOS, ELMo + predicted UPOS (the parser's own tagger) and
ELMo alone, each aligned and not aligned. Columns: UAS and LAS per language (AllenNLP's, without
punctuation) and their average. Two settings:

- `english`: trained on English only (UD EWT dev+test; English PUD dev picks the epoch). English is
  the shared space, so one parser per input serves both rows; only the target's alignment differs.
- `multi-source`: the paper's protocol: for each target, trees of English and of every other
  language (de, es, fr: GSD; it: its PUD training split; pt: Bosque dev; sv: Talbanken dev), never
  the target's own, and no PUD trees for a target tested on PUD (PUD is parallel: Italian's trees
  would translate the test sentences), so Italian's trees serve pt and sv only. Not aligned means
  trained and evaluated without alignments.

Every multi-source parser trains as many batches as the English-only one (the English trees'
batches an epoch, `data_loader.batches_per_epoch`): the settings differ in the trees a parser sees,
not in how long it trains (--multi-source-epochs full: whole passes over all the trees instead).

Every step is kept under --output (default output/replicate): a rerun skips the parsers that are
trained, resumes one that was interrupted, and reuses the scores of archives it evaluated. A
parser is tied to the trees, biLM and alignment files it was trained on, an archive to its
targets' files (their SHA-256): a parser trained on other files is refused (remove its folder to
train it again), and an archive with a target's other files is a new archive. Prints the tables as
Markdown and writes them with all scores to OUTPUT/table.md and OUTPUT/results.json. On 2 CPU
cores, English-only takes about 15 minutes, multi-source about 11 a target (35 in all as two
processes split by --targets; a last run without --targets then writes the whole table).

    python scripts/replicate.py [--settings english multi-source] [--targets de es ...]
"""

import argparse
import glob
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
from typing import Any, Dict, List, Optional

import torch
from allennlp.commands.evaluate import evaluate_from_archive
from allennlp.common import Params

from allennlp_multilang_elmo.modules.elmo_archive_languages import add_language

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = "training_configs/zero_shot_parser.jsonnet"
TARGETS = ("de", "es", "fr", "it", "pt", "sv")
TEST = {
    **{lang: f"data/ud-pud/{lang}_pud-ud-*.conllu" for lang in ("de", "es", "fr", "it")},
    "pt": "data/ud-more/pt_bosque-ud-test.conllu",
    "sv": "data/ud-more/sv_talbanken-ud-test.conllu",
}
SOURCE_TREES = {
    "en": ["data/ud-en-ewt/en_ewt-ud-dev.conllu", "data/ud-en-ewt/en_ewt-ud-test.conllu"],
    "de": ["data/ud-more/de_gsd-ud-dev.conllu", "data/ud-more/de_gsd-ud-test.conllu"],
    "es": ["data/ud-more/es_gsd-ud-dev.conllu", "data/ud-more/es_gsd-ud-test.conllu"],
    "fr": ["data/ud-more/fr_gsd-ud-dev.conllu", "data/ud-more/fr_gsd-ud-test.conllu"],
    "it": ["data/ud-pud/it_pud-ud-train.conllu"],
    "pt": ["data/ud-more/pt_bosque-ud-dev.conllu"],
    "sv": ["data/ud-more/sv_talbanken-ud-dev.conllu"],
}
# PUD is parallel (the same 1,000 sentences in every language): no PUD trees train a parser for a
# target tested on PUD, whose test sentences they translate.
PUD = "data/ud-pud/"
VALIDATION = PUD + "en_pud-ud-dev.conllu"
SHARED = "en"
ELMO = "model.text_field_embedder.token_embedders.elmo"
# (row name, parser input, aligned, UPOS read when evaluating)
ROWS = [
    ("delexicalised (gold UPOS)", "upos", None, "gold"),
    ("ELMo + gold UPOS, aligned", "elmo+upos", True, "gold"),
    ("ELMo + gold UPOS, not aligned", "elmo+upos", False, "gold"),
    ("ELMo + predicted UPOS, aligned", "elmo+upos", True, "predicted"),
    ("ELMo + predicted UPOS, not aligned", "elmo+upos", False, "predicted"),
    ("ELMo alone, aligned", "elmo", True, "gold"),
    ("ELMo alone, not aligned", "elmo", False, "gold"),
]


def elmo_files(languages: List[str], aligned: List[str], args) -> List[str]:
    """The biLM and alignment files a parser or archive of `languages` reads."""
    files = []
    for lang in languages:
        files += [
            os.path.join(args.elmo_dir, lang, name) for name in ("options.json", "weights.hdf5")
        ]
        if lang in aligned:
            files.append(os.path.join(args.elmo_dir, lang, "align.pth"))
    return files


def digest(files: List[str]) -> str:
    sha = hashlib.sha256()
    for path in files:
        with open(path, "rb") as f:
            sha.update(hashlib.sha256(f.read()).digest())
    return sha.hexdigest()


def train(
    run: str,
    languages: List[str],
    trees: str,
    input_: str,
    aligned: bool,
    args,
    overrides: Optional[Dict[str, Any]] = None,
) -> str:
    """Trains (or resumes) one parser into `run` on the trees `trees` (a glob): its archive."""
    aligned_languages = [lang for lang in languages if aligned and lang != SHARED]
    inputs = digest(sorted(glob.glob(trees)) + elmo_files(languages, aligned_languages, args))
    inputs_file = run + ".inputs-sha256"
    if os.path.isdir(run):
        trained_on = open(inputs_file).read().strip() if os.path.isfile(inputs_file) else None
        if trained_on != inputs:
            raise SystemExit(
                f"{run} was not trained on the trees {trees} and the biLM and alignment files "
                f"now in {args.elmo_dir} ({inputs_file} {'differs' if trained_on else 'is missing'}"
                f"): remove {run} to train it again"
            )
    archive = os.path.join(run, "model.tar.gz")
    if os.path.isfile(archive):
        return archive
    environment = dict(
        os.environ,
        PARSER_TRAIN=trees,
        PARSER_VALIDATION=VALIDATION,
        PARSER_LANGUAGES=",".join(languages),
        ELMO_DIR=args.elmo_dir,
        PARSER_ALIGNED=",".join(aligned_languages),
        PARSER_INPUT=input_,
        ZERO_ALIGNMENT=zero_alignment(args),
        ACTIVATION_CACHE=os.path.join(args.output, "activation-cache"),
    )
    command = [os.path.join(".venv", "bin", "allennlp"), "train", CONFIG, "-s", run]
    all_overrides = {**(overrides or {}), **json.loads(args.overrides or "{}")}
    if all_overrides:
        command += ["-o", json.dumps(all_overrides)]
    if os.path.isdir(run):
        command.append("--recover")
    with open(inputs_file, "w") as f:
        f.write(inputs + "\n")
    print(f"training {run} ({input_}, {'aligned' if aligned else 'not aligned'})", flush=True)
    with open(run + ".log", "a") as log:
        subprocess.run(command, env=environment, stdout=log, stderr=log, check=True)
    return archive


def english_batches_per_epoch(args) -> int:
    """The English-only parser's batches an epoch: its trees' sentences over the batch size."""
    params = Params.from_file(
        CONFIG,
        params_overrides=args.overrides,
        ext_vars={
            "PARSER_TRAIN": "",
            "PARSER_VALIDATION": "",
            "PARSER_LANGUAGES": SHARED,
            "ELMO_DIR": args.elmo_dir,
            "PARSER_ALIGNED": "",
            "PARSER_INPUT": "elmo+upos",
            "ZERO_ALIGNMENT": "",
            "ACTIVATION_CACHE": "",
        },
    )
    batch_size = params["data_loader"]["batch_sampler"]["batch_size"]
    sentences = 0
    for path in SOURCE_TREES[SHARED]:
        with open(path, encoding="utf-8") as f:
            sentences += sum(1 for line in f if line.startswith("1\t"))
    return math.ceil(sentences / batch_size)


def zero_alignment(args) -> str:
    """The all-zero alignment of the delexicalised parser, written once."""
    path = os.path.join(args.output, "zero-alignment.pth")
    if not os.path.isfile(path):
        with open(os.path.join(args.elmo_dir, SHARED, "options.json")) as f:
            dim = 2 * json.load(f)["lstm"]["projection_dim"]
        os.makedirs(args.output, exist_ok=True)
        torch.save(torch.zeros(dim, dim), path)
    return path


def with_targets(archive: str, targets: List[str], alignment: Optional[str], args) -> str:
    """`archive` with `targets` added: aligned (`"own"`), not aligned (`None`) or by `"zero"`."""
    name = {"own": "aligned", None: "not-aligned", "zero": "zeroed"}[alignment]
    files = elmo_files(targets, targets if alignment == "own" else [], args)
    if alignment == "zero":
        files.append(zero_alignment(args))
    version = digest(files)[:12]
    output = archive.replace("model.tar.gz", f"model-{'-'.join(targets)}-{name}-{version}.tar.gz")
    if os.path.isfile(output):
        return output
    current = archive
    for number, lang in enumerate(targets):
        step = output if number == len(targets) - 1 else f"{output}.{lang}.tmp"
        files = {
            "own": os.path.join(args.elmo_dir, lang, "align.pth"),
            None: None,
            "zero": zero_alignment(args),
        }[alignment]
        add_language(
            current,
            step,
            lang,
            options_file=os.path.join(args.elmo_dir, lang, "options.json"),
            weight_file=os.path.join(args.elmo_dir, lang, "weights.hdf5"),
            alignment_file=files,
            no_alignment=files is None,
        )
        if current != archive:
            os.remove(current)
        current = step
    return output


def scores(archive: str, lang: str, pos_input: str, args) -> Dict[str, float]:
    """UAS and LAS of `archive` on `lang`'s test trees, kept beside the archive once measured."""
    saved = archive.replace(".tar.gz", f".{lang}-{pos_input}-upos.json")
    if os.path.isfile(saved):
        with open(saved) as f:
            return json.load(f)
    overrides = {
        f"{ELMO}.activation_cache": os.path.join(args.output, "activation-cache"),
        "model.pos_input": pos_input,
    }
    metrics = evaluate_from_archive(archive, TEST[lang], cmd_overrides=overrides)
    result = {"UAS": 100 * metrics[f"UAS_{lang}"], "LAS": 100 * metrics[f"LAS_{lang}"]}
    with open(saved + ".tmp", "w") as f:
        json.dump(result, f)
    os.replace(saved + ".tmp", saved)
    return result


def english_setting(args) -> Dict[str, Dict[str, Dict[str, float]]]:
    folder = os.path.join(args.output, "english")
    os.makedirs(folder, exist_ok=True)
    trees = os.path.join(REPO, "data/ud-en-ewt/en_ewt-ud-*.conllu")
    results: Dict[str, Dict[str, Dict[str, float]]] = {}
    for row, input_, aligned, pos_input in ROWS:
        parser = train(os.path.join(folder, input_), [SHARED], trees, input_, True, args)
        alignment = "zero" if aligned is None else ("own" if aligned else None)
        archive = with_targets(parser, list(args.targets), alignment, args)
        results[row] = {lang: scores(archive, lang, pos_input, args) for lang in args.targets}
        print(f"english, {row}: {summary(results[row])}", flush=True)
    return results


def source_treebanks(target: str) -> Dict[str, List[str]]:
    """
    The multi-source training trees for `target` by language: English's and every other
    language's, but no PUD trees where `target` is tested on PUD (they translate its test
    sentences), so Italian's trees train the parsers for pt and sv only.
    """
    tested_on_pud = TEST[target].startswith(PUD)
    sources = {
        lang: [path for path in paths if not (tested_on_pud and path.startswith(PUD))]
        for lang, paths in SOURCE_TREES.items()
        if lang != target
    }
    return {lang: paths for lang, paths in sources.items() if paths}


def multi_source_setting(args) -> Dict[str, Dict[str, Dict[str, float]]]:
    results: Dict[str, Dict[str, Dict[str, float]]] = {row: {} for row, *_ in ROWS}
    budget = (
        {}
        if args.multi_source_epochs == "full"
        else {"data_loader.batches_per_epoch": english_batches_per_epoch(args)}
    )
    for target in args.targets:
        folder = os.path.join(args.output, "multi-source", target)
        treebanks = source_treebanks(target)
        sources = list(treebanks)
        files = [path for paths in treebanks.values() for path in paths]
        trees = os.path.join(folder, "trees")
        if os.path.isdir(trees) and sorted(os.listdir(trees)) != sorted(
            map(os.path.basename, files)
        ):
            shutil.rmtree(trees)  # other trees: their parsers are refused by their inputs' hash
        if not os.path.isdir(trees):
            os.makedirs(trees + ".tmp", exist_ok=True)
            for path in files:
                shutil.copy(path, trees + ".tmp")
            os.rename(trees + ".tmp", trees)
        for row, input_, aligned, pos_input in ROWS:
            train_aligned = aligned is True  # the delexicalised parser reads no alignment
            name = (
                input_ if aligned is None else f"{input_}-{'aligned' if aligned else 'not-aligned'}"
            )
            run = os.path.join(folder, name)
            parser = train(run, sources, trees + "/*.conllu", input_, train_aligned, args, budget)
            alignment = "zero" if aligned is None else ("own" if aligned else None)
            archive = with_targets(parser, [target], alignment, args)
            results[row][target] = scores(archive, target, pos_input, args)
            print(f"multi-source, {target}, {row}: {summary(results[row])}", flush=True)
    return results


def summary(row: Dict[str, Dict[str, float]]) -> str:
    return ", ".join(f"{lang} {s['UAS']:.1f}/{s['LAS']:.1f}" for lang, s in row.items())


def table(setting: str, results: Dict[str, Dict[str, Dict[str, float]]], targets) -> str:
    header = ["parser input"] + [f"{lang} UAS / LAS" for lang in targets] + ["average UAS / LAS"]
    lines = [f"**{setting}**", "", "| " + " | ".join(header) + " |"]
    lines.append("|---" + "|---:" * (len(header) - 1) + "|")
    for row, by_language in results.items():
        cells = [
            f"{by_language[lang]['UAS']:.1f} / {by_language[lang]['LAS']:.1f}" for lang in targets
        ]
        averages = [
            sum(by_language[lang][m] for lang in targets) / len(targets) for m in ("UAS", "LAS")
        ]
        cells.append(f"**{averages[0]:.1f} / {averages[1]:.1f}**")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: List[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["english", "multi-source"],
        choices=["english", "multi-source"],
    )
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS)
    parser.add_argument("--elmo-dir", default="data/elmo-libreoffice")
    parser.add_argument("--output", default="output/replicate")
    parser.add_argument(
        "--overrides", default="", help="JSON overrides of every parser's training config"
    )
    parser.add_argument(
        "--multi-source-epochs",
        default="english",
        choices=["english", "full"],
        help="a multi-source parser's epoch: as many batches as the English-only parser's "
        "(default), or a whole pass over its trees",
    )
    args = parser.parse_args(argv)
    os.chdir(REPO)
    missing = [path for lang in args.targets for path in [TEST[lang]] if not glob.glob(path)]
    if missing:
        raise SystemExit(f"missing test treebanks: {', '.join(missing)}")
    runs = {"english": english_setting, "multi-source": multi_source_setting}
    results: Dict[str, Any] = {setting: runs[setting](args) for setting in args.settings}
    tables = "\n\n".join(table(s, results[s], args.targets) for s in args.settings)
    with open(os.path.join(args.output, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(args.output, "table.md"), "w") as f:
        f.write(tables + "\n")
    print(tables)


if __name__ == "__main__":
    main(sys.argv[1:])
