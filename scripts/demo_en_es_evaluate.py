#!/usr/bin/env python
"""
Evaluates the parsers of the demo (training_configs/demo_en_es.jsonnet) and prints its table: for
each run folder, UAS, LAS and the accuracy of its UPOS tagger (runs with UPOS input) on English
in-language (English PUD train + test; its dev set picked the epoch) and Spanish zero-shot (all
1,000 Spanish PUD sentences, never seen in training) with the Spanish biLM aligned onto the English
one, and again with the alignment replaced by the identity. Scores go to RUN/demo_metrics.json; the
table is printed as Markdown.

    python scripts/demo_en_es_evaluate.py RUN_WITH_POS RUN_WITHOUT_POS
"""

import json
import os
import sys
from typing import Dict, List

import torch
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.models.archival import load_archive
from allennlp.training.util import evaluate

from allennlp_multilang_elmo.modules.token_embedders import multilang_embedders

DATA = {
    "en": "data/ud-pud/en_pud-ud-t*.conllu",
    "es": "data/ud-pud/es_pud-ud-*.conllu",
}


def scores(model, reader, path: str, language: str) -> Dict[str, float]:
    loader = MultiProcessDataLoader(reader, path, batch_size=32)
    loader.index_with(model.vocab)
    metrics = evaluate(model, loader, cuda_device=-1)
    # UPOS: the accuracy of the parser's UPOS tagger (with UPOS input only).
    return {
        name: metrics[f"{name}_{language}"]
        for name in ("UAS", "LAS", "UPOS")
        if f"{name}_{language}" in metrics
    }


def evaluate_run(run: str) -> Dict[str, Dict[str, float]]:
    archive = load_archive(os.path.join(run, "model.tar.gz"))
    model, reader = archive.model.eval(), archive.validation_dataset_reader
    results = {"en": scores(model, reader, DATA["en"], "en")}
    results["es_aligned"] = scores(model, reader, DATA["es"], "es")
    (embedder,) = multilang_embedders(model)
    embedder.set_alignment("es", None)  # the identity: "not aligned"
    results["es_unaligned"] = scores(model, reader, DATA["es"], "es")
    results["pos_input"] = "pos_tag_embedding" in archive.config["model"]
    with open(os.path.join(run, "demo_metrics.json"), "w") as f:
        json.dump(results, f, indent=2)
    return results


def table(results: Dict[str, Dict]) -> str:
    rows = [
        "| parser input | English UAS | LAS | UPOS | Spanish zero-shot, aligned UAS | LAS | UPOS "
        "| Spanish zero-shot, not aligned UAS | LAS | UPOS |",
        "|---|" + "---:|" * 9,
    ]
    for result in results.values():
        name = "ELMo + UPOS" if result["pos_input"] else "ELMo alone"
        cells = [
            f"{100 * result[key][metric]:.1f}" if metric in result[key] else "-"
            for key in ("en", "es_aligned", "es_unaligned")
            for metric in ("UAS", "LAS", "UPOS")
        ]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(runs: List[str]) -> None:
    torch.set_num_threads(1)
    results = {run: evaluate_run(run) for run in runs}
    print(table(results))


if __name__ == "__main__":
    main(sys.argv[1:])
