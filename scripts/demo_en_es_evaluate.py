#!/usr/bin/env python
"""
Evaluates the parsers of the demo (training_configs/demo_en_es.jsonnet) and prints its table: for
each run folder, UAS, LAS and the accuracy of its UPOS tagger (runs with UPOS input) on English
in-language (English PUD train + test; its dev set picked the epoch) and Spanish zero-shot (all
1,000 Spanish PUD sentences, never seen in training) with the Spanish biLM aligned onto the English
one, and again with the alignment replaced by the identity. A run with UPOS input is scored twice:
reading the gold UPOS tags, and reading its tagger's tags (`pos_input: predicted`, what raw text
gets). UAS and LAS are AllenNLP's (punctuation excluded); "LAS all" is the CoNLL 2018 shared task's
LAS (every word, universal relations). Scores go to RUN/demo_metrics.json; the table is printed as
Markdown.

    python scripts/demo_en_es_evaluate.py RUN_WITH_POS RUN_WITHOUT_POS
"""

import json
import os
import sys
from typing import Any, Dict, List

import torch
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.models.archival import load_archive
from allennlp.training.util import evaluate

from allennlp_multilang_elmo.modules.token_embedders import multilang_embedders

DATA = {
    "en": "data/ud-pud/en_pud-ud-t*.conllu",
    "es": "data/ud-pud/es_pud-ud-*.conllu",
}
# The activations the training cached: evaluations reuse them (asked for explicitly: archives
# write no cache otherwise).
ELMO = "model.text_field_embedder.token_embedders.elmo"
CACHE = {f"{ELMO}.activation_cache": "output/demo/activation-cache"}
SCORES = {"UAS": "UAS", "LAS": "LAS", "LAS all": "conll18_LAS", "UPOS": "UPOS"}
SETTINGS = ("en", "es_aligned", "es_unaligned")


def scores(model, reader, path: str, language: str) -> Dict[str, float]:
    loader = MultiProcessDataLoader(reader, path, batch_size=32)
    loader.index_with(model.vocab)
    metrics = evaluate(model, loader, cuda_device=-1)
    # UPOS: the accuracy of the parser's UPOS tagger (with UPOS input only).
    return {
        name: metrics[f"{metric}_{language}"]
        for name, metric in SCORES.items()
        if f"{metric}_{language}" in metrics
    }


def evaluate_archive(run: str, pos_input: str) -> Dict[str, Dict[str, float]]:
    overrides = {**CACHE, "model.pos_input": pos_input}
    archive = load_archive(os.path.join(run, "model.tar.gz"), overrides=overrides)
    model, reader = archive.model.eval(), archive.validation_dataset_reader
    results = {"en": scores(model, reader, DATA["en"], "en")}
    results["es_aligned"] = scores(model, reader, DATA["es"], "es")
    (embedder,) = multilang_embedders(model)
    embedder.set_alignment("es", None)  # the identity: "not aligned"
    results["es_unaligned"] = scores(model, reader, DATA["es"], "es")
    return results


def evaluate_run(run: str) -> Dict[str, Any]:
    with open(os.path.join(run, "config.json")) as f:
        pos_input = "pos_tag_embedding" in json.load(f)["model"]
    inputs = ("gold", "predicted") if pos_input else ("gold",)
    results = {
        "pos_input": pos_input,
        "inputs": {name: evaluate_archive(run, name) for name in inputs},
    }
    with open(os.path.join(run, "demo_metrics.json"), "w") as f:
        json.dump(results, f, indent=2)
    return results


def table(results: List[Dict[str, Any]]) -> str:
    header = ["parser input"]
    for setting in ("English", "Spanish zero-shot, aligned", "Spanish zero-shot, not aligned"):
        header += [f"{setting} UAS"] + list(SCORES)[1:]
    rows = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for result in results:
        for pos_input, settings in result["inputs"].items():
            name = f"ELMo + {pos_input} UPOS" if result["pos_input"] else "ELMo alone"
            cells = [
                f"{100 * settings[key][score]:.1f}" if score in settings[key] else "-"
                for key in SETTINGS
                for score in SCORES
            ]
            rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(runs: List[str]) -> None:
    torch.set_num_threads(1)
    print(table([evaluate_run(run) for run in runs]))


if __name__ == "__main__":
    main(sys.argv[1:])
