#!/usr/bin/env python
"""
Prints (as JSON) what the README reports of a biLM trained with training_configs/elmo_bilm.jsonnet
or elmo_bible.jsonnet: training time, tokens per second, held-out perplexity and the size of the
weights exported to EXPORT_DIR.

    python scripts/bilm_training_summary.py RUN_DIR EXPORT_DIR
"""

import json
import os
import sys
from datetime import timedelta

from allennlp.common import Params

from allennlp_multilang_elmo.data.dataset_readers.bilm_text import BilmTextDatasetReader


def seconds(duration: str) -> float:
    hours, minutes, secs = duration.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes), seconds=float(secs)).total_seconds()


def training_seconds(run: str, epochs: int) -> float:
    """
    The run's training time over all its epochs. AllenNLP's `training_duration` restarts with
    every `allennlp train` (a `--recover` too), so each stretch's last value is added.
    """
    durations = []
    for epoch in range(epochs):
        with open(os.path.join(run, f"metrics_epoch_{epoch}.json")) as f:
            durations.append(seconds(json.load(f)["training_duration"]))
    restarts = [d for d, after in zip(durations, durations[1:]) if after < d]
    return sum(restarts) + durations[-1]


def main(run: str, export_dir: str) -> None:
    with open(os.path.join(run, "metrics.json")) as f:
        metrics = json.load(f)
    config = Params.from_file(os.path.join(run, "config.json")).as_dict()
    reader_config = {k: v for k, v in config["dataset_reader"].items() if k != "type"}
    sentences = BilmTextDatasetReader(**reader_config).read_sentences(config["train_data_path"])
    # Words predicted per direction and epoch: every word, and the sentence end (or start).
    tokens_per_epoch = sum(len(sentence) + 1 for sentence in sentences)
    epochs = metrics["epoch"] + 1
    duration = training_seconds(run, epochs)
    weights = os.path.join(export_dir, "weights.hdf5")
    summary = {
        "language": config["dataset_reader"]["language"],
        "epochs": epochs,
        "training_tokens_per_epoch": tokens_per_epoch,
        "training_seconds": round(duration),
        "tokens_per_second": round(tokens_per_epoch * epochs / duration),
        "heldout_perplexity": round(metrics["best_validation_perplexity"], 1),
        "heldout_forward_perplexity": round(metrics["best_validation_forward_perplexity"], 1),
        "heldout_backward_perplexity": round(metrics["best_validation_backward_perplexity"], 1),
        "best_epoch": metrics["best_epoch"] + 1,
        "weights_mb": round(os.path.getsize(weights) / 2**20, 2),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main(*sys.argv[1:])
