#!/usr/bin/env python
"""
What limits the alignment of one language onto English (issue 15, item 6), measured on the
LibreOffice biLMs of data/elmo-libreoffice/: anchors over all of the language's text or over the
paragraph-parallel text only (the same content on both sides); the seed dictionary by
co-occurrence in the parallel paragraphs, from FreeDict, or both; no refinement or three CSLS
rounds (the round kept chosen on validation pairs). Every variant is scored by precision@1 (CSLS,
per ELMo layer) on one fixed fifth of FreeDict's source words (identical strings left out), never
seen in any seed, and by the zero-shot UAS/LAS it gives the English-only parsers of
`scripts/replicate.py` (ELMo + gold UPOS, and ELMo alone) on the language's test treebank.

    python scripts/alignment_study.py TEXT_DIR [--language fr] [--parsers output/replicate/english]

TEXT_DIR is what scripts/libreoffice_from_debian.py writes. Writes OUTPUT/study.md and
OUTPUT/study.json (default output/alignment-study-<lang>); about 20 minutes on 2 CPU cores.
"""

import argparse
import hashlib
import json
import os
import sys
from typing import Any, Dict, List

from allennlp.commands.evaluate import evaluate_from_archive

from allennlp_multilang_elmo.alignment.align import align_anchor_layers
from allennlp_multilang_elmo.alignment.anchors import ANCHORS_JSON, elmo_anchors
from allennlp_multilang_elmo.alignment.dictionary import (
    merge_pairs,
    read_dictionary,
    write_dictionary,
)
from allennlp_multilang_elmo.commands.elmo_dictionary import parallel_pairs
from allennlp_multilang_elmo.data.tokenizers.language_rules_tokenizer import (
    LanguageRulesTokenizer,
)
from allennlp_multilang_elmo.modules.elmo_archive_languages import add_language

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "scripts"))
from replicate import ELMO, TEST  # noqa: E402

SHARED = "en"
PARSERS = {"ELMo + gold UPOS": "elmo+upos", "ELMo alone": "elmo"}


def anchors(elmo_dir: str, lang: str, texts: List[str], output: str) -> str:
    if not os.path.isfile(os.path.join(output, ANCHORS_JSON)):
        elmo_anchors(
            os.path.join(elmo_dir, lang, "options.json"),
            os.path.join(elmo_dir, lang, "weights.hdf5"),
            texts,
            output,
            min_count=3,
            tokenizer=LanguageRulesTokenizer(lang),
        )
    return output


def parallel_texts(parallel: str, lang: str, work: str) -> Dict[str, str]:
    """The two columns of the English-`lang` parallel file, as plain text files."""
    paths = {
        SHARED: os.path.join(work, f"parallel.{SHARED}.txt"),
        lang: os.path.join(work, f"parallel.{lang}.txt"),
    }
    if not all(os.path.isfile(path) for path in paths.values()):
        with open(parallel, encoding="utf-8") as f:
            rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
        for column, code in enumerate((SHARED, lang)):
            with open(paths[code], "w", encoding="utf-8") as f:
                f.writelines(row[column] + "\n" for row in rows)
    return paths


def test_fifth(source: str) -> bool:
    """Whether a FreeDict source word is a test word: a fixed fifth, by hash."""
    return int(hashlib.sha256(source.encode("utf-8")).hexdigest(), 16) % 5 == 0


def dictionaries(text_dir: str, lang: str, work: str) -> Dict[str, str]:
    """The three seeds and the test dictionary (FreeDict's test fifth), as files."""
    freedict = read_dictionary(os.path.join(text_dir, "dict", f"{lang}-en.merged.tsv"))
    cooccurrence, _ = parallel_pairs(
        os.path.join(text_dir, "parallel", f"en-{lang}.tsv"), (1, 0), (lang, SHARED)
    )
    pairs = {
        "test": [pair for pair in freedict if test_fifth(pair[0])],
        "co-occurrence": cooccurrence,
        "FreeDict": [pair for pair in freedict if not test_fifth(pair[0])],
    }
    pairs["both"] = merge_pairs([pairs["co-occurrence"], pairs["FreeDict"]])
    files = {}
    for name, dictionary in pairs.items():
        files[name] = os.path.join(work, f"{name}.{lang}-en.txt")
        write_dictionary(files[name], dictionary)
    return files


def zero_shot(parsers: str, lang: str, alignment, elmo_dir: str, work: str, name: str):
    """UAS/LAS of each English-only parser on `lang`'s test treebank with `alignment`."""
    scores = {}
    for row, parser in PARSERS.items():
        archive = os.path.join(work, f"{parser}-{name}.tar.gz")
        if not os.path.isfile(archive):
            add_language(
                os.path.join(parsers, parser, "model.tar.gz"),
                archive,
                lang,
                options_file=os.path.join(elmo_dir, lang, "options.json"),
                weight_file=os.path.join(elmo_dir, lang, "weights.hdf5"),
                alignment_file=alignment,
                no_alignment=alignment is None,
            )
        # The replication's cache: the biLMs' activations do not depend on the alignment.
        cache = {f"{ELMO}.activation_cache": os.path.join(parsers, "..", "activation-cache")}
        metrics = evaluate_from_archive(archive, TEST[lang], cmd_overrides=cache)
        scores[row] = {m: round(100 * metrics[f"{m}_{lang}"], 1) for m in ("UAS", "LAS")}
    return scores


def write_results(
    results: List[Dict[str, Any]], header: str, name_key: str, work: str, stem: str
) -> str:
    """
    Writes `results` to `work/<stem>.json` and as a Markdown table (a row each, named by
    `name_key`: precision@1 per layer and each parser's UAS / LAS) to `work/<stem>.md`; returns
    the table.
    """
    with open(os.path.join(work, f"{stem}.json"), "w") as f:
        json.dump(results, f, indent=2)
    lines = [
        f"| {header} | P@1 CSLS layer 0 / 1 / 2 | "
        + " | ".join(f"{row} UAS / LAS" for row in PARSERS)
        + " |",
        "|---|---:|" + "---:|" * len(PARSERS),
    ]
    for result in results:
        scores = result.get("precision_at_1_csls")
        cells = [" / ".join(str(scores[layer]) for layer in sorted(scores)) if scores else "-"]
        cells += [f"{result[row]['UAS']} / {result[row]['LAS']}" for row in PARSERS]
        lines.append(f"| {result[name_key]} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    with open(os.path.join(work, f"{stem}.md"), "w") as f:
        f.write(table + "\n")
    return table


def main(argv: List[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("text_dir")
    parser.add_argument("--language", default="fr")
    parser.add_argument("--parsers", default="output/replicate/english")
    parser.add_argument("--elmo-dir", default="data/elmo-libreoffice")
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    os.chdir(REPO)
    lang = args.language
    work = args.output or f"output/alignment-study-{lang}"
    os.makedirs(work, exist_ok=True)
    parallel = parallel_texts(os.path.join(args.text_dir, "parallel", f"en-{lang}.tsv"), lang, work)
    anchor_dirs = {
        "all text": {
            code: anchors(
                args.elmo_dir,
                code,
                [os.path.join(args.text_dir, f"{code}.txt")],
                os.path.join(work, f"anchors-all-{code}"),
            )
            for code in (lang, SHARED)
        },
        "parallel text": {
            code: anchors(
                args.elmo_dir,
                code,
                [parallel[code]],
                os.path.join(work, f"anchors-parallel-{code}"),
            )
            for code in (lang, SHARED)
        },
    }
    seeds = dictionaries(args.text_dir, lang, work)
    results: List[Dict[str, Any]] = [
        {
            "variant": "not aligned",
            **zero_shot(args.parsers, lang, None, args.elmo_dir, work, "none"),
        }
    ]
    for anchor_name, dirs in anchor_dirs.items():
        for seed in ("co-occurrence", "FreeDict", "both"):
            for refinement in (0, 3):
                name = f"{anchor_name}, {seed}, {refinement} rounds"
                output = os.path.join(work, name.replace(", ", "-").replace(" ", "_") + ".pth")
                report = align_anchor_layers(
                    dirs[lang],
                    dirs[SHARED],
                    output,
                    dictionary=seeds[seed],
                    test_dictionary=seeds["test"],
                    refinement=refinement,
                )
                precision = {
                    layer: round(100 * r["precision_at_1"]["csls"], 1)
                    for layer, r in report["layers"].items()
                }
                rounds = {layer: r["best_round"] for layer, r in report["layers"].items()}
                result = {"variant": name, "precision_at_1_csls": precision, "rounds_kept": rounds}
                result.update(
                    zero_shot(
                        args.parsers,
                        lang,
                        output,
                        args.elmo_dir,
                        work,
                        name.replace(", ", "-").replace(" ", "_"),
                    )
                )
                print(json.dumps(result), flush=True)
                results.append(result)
    table = write_results(results, f"{lang}: anchors, seed, refinement", "variant", work, "study")
    print(table)


if __name__ == "__main__":
    main(sys.argv[1:])
