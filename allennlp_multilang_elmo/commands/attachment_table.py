"""
`allennlp attachment-table`: prints the per-language UAS/LAS (and UPOS accuracy) of a metrics file
written by `allennlp evaluate --output-file` or `allennlp train` (`metrics.json`) as a table, with
each language marked as trained on or zero-shot.
"""

import argparse
import json
import logging
import os
import re
import tarfile
from typing import Any, Dict, List, NamedTuple, Optional, Sequence

from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError

logger = logging.getLogger(__name__)

SPLITS = ("test", "best_validation", "validation")
"""The prefixes `allennlp train` gives metrics; `evaluate`'s have none ("evaluation")."""
SCORES = ("UAS", "LAS", "UPOS")
_PER_LANGUAGE = re.compile(r"^(?:(test|best_validation|validation)_)?(UAS|LAS|UPOS)_(.+)$")


@Subcommand.register("attachment-table")
class AttachmentTable(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Print the per-language UAS/LAS (and UPOS accuracy) of a metrics JSON file as a table. "
            "Languages the model was not trained on are marked zero-shot, from the training "
            "config of the run folder or archive (by default the metrics file's folder)."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "metrics_file", type=str, help="metrics JSON (evaluate --output-file, or metrics.json)"
        )
        subparser.add_argument(
            "--run",
            type=str,
            default=None,
            help="run folder or model.tar.gz whose config names the training languages "
            "(default: the metrics file's folder, if it holds config.json)",
        )
        subparser.add_argument(
            "--split",
            choices=("evaluation",) + SPLITS,
            default=None,
            help="which metrics of a train metrics.json to show (default: test, else "
            "best_validation, else validation)",
        )
        subparser.add_argument(
            "--zero-shot",
            nargs="*",
            default=None,
            help="languages to mark as zero-shot (default: those not trained on)",
        )
        subparser.set_defaults(func=print_table_from_args)
        return subparser


class LanguageScores(NamedTuple):
    split: str
    """`evaluation` (no prefix), `test`, `best_validation` or `validation`."""
    scores: Dict[str, Dict[str, float]]
    """language -> {"UAS": ..., "LAS": ..., "UPOS": ...} (those present)."""


def read_metrics(path: str) -> Dict[str, Any]:
    """The JSON object in `path`; a clear error for a missing, truncated or non-JSON file."""
    try:
        with open(path, encoding="utf-8") as file:
            metrics = json.load(file)
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: no such metrics file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigurationError(
            f"{path}: not a complete JSON metrics file ({error}); was it cut short?"
        ) from None
    if not isinstance(metrics, dict):
        raise ConfigurationError(
            f"{path}: a metrics file holds a JSON object, not {type(metrics).__name__}"
        )
    return metrics


def language_scores(
    metrics: Dict[str, Any], split: Optional[str] = None, name: str = "the metrics"
) -> LanguageScores:
    """
    The per-language scores of one split of `metrics`: `split`, or else the first of
    `evaluation`, `test`, `best_validation`, `validation` that has any. Never mixes splits.
    """
    by_split: Dict[str, Dict[str, Dict[str, float]]] = {}
    for key, value in metrics.items():
        match = _PER_LANGUAGE.match(key)
        if match and match.group(3) != "AVG" and isinstance(value, (int, float)):
            prefix, score, language = match.groups()
            by_split.setdefault(prefix or "evaluation", {}).setdefault(language, {})[score] = value
    if not by_split:
        raise ConfigurationError(
            f"{name} has no UAS_<lang> / LAS_<lang> entries: give the output of `allennlp "
            "evaluate --output-file` or a run's metrics.json"
        )
    if split is None:
        split = next(s for s in ("evaluation",) + SPLITS if s in by_split)
    elif split not in by_split:
        raise ConfigurationError(
            f"{name} has no {split} scores; it has {', '.join(sorted(by_split))}"
        )
    return LanguageScores(split, by_split[split])


def training_languages(run: str) -> List[str]:
    """
    The languages a run trained on, from the `config.json` of its folder or archive: the training
    reader's `languages`, else the model's `langs_for_early_stop`.
    """
    try:
        if os.path.isdir(run):
            with open(os.path.join(run, "config.json"), encoding="utf-8") as file:
                config = json.load(file)
        else:
            with tarfile.open(run) as archive:
                member = archive.extractfile("config.json")
                if member is None:
                    raise KeyError("config.json")
                config = json.load(member)
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError) as error:
        raise ConfigurationError(
            f"{run}: cannot read the training config (config.json) of this run folder or "
            f"model archive ({error})"
        ) from None
    languages = (config.get("dataset_reader") or {}).get("languages") or (
        config.get("model") or {}
    ).get("langs_for_early_stop")
    if not languages:
        raise ConfigurationError(
            f"{run}: its config names no training languages (dataset_reader.languages or "
            "model.langs_for_early_stop); pass --zero-shot"
        )
    return sorted(languages)


def attachment_table(
    scores: Dict[str, Dict[str, float]],
    zero_shot: Sequence[str],
) -> str:
    """
    Formats per-language scores as a fixed-width table in percent, trained languages first, then
    zero-shot ones, each group followed by its unweighted mean.
    """
    columns = [score for score in SCORES if any(score in s for s in scores.values())]
    rows = [f"{'language':<10}{'setting':<12}" + "".join(f"{c:>8}" for c in columns)]

    def row(language: str, setting: str, values: Dict[str, float]) -> str:
        cells = "".join(f"{100 * values.get(c, float('nan')):>8.1f}" for c in columns)
        return f"{language:<10}{setting:<12}{cells}"

    for group, setting in (
        (sorted(lang for lang in scores if lang not in zero_shot), "trained"),
        (sorted(lang for lang in scores if lang in zero_shot), "zero-shot"),
    ):
        rows.extend(row(language, setting, scores[language]) for language in group)
        if len(group) > 1:
            mean = {
                c: sum(scores[lang][c] for lang in group) / len(group)
                for c in columns
                if all(c in scores[lang] for lang in group)
            }
            label = "sources" if setting == "trained" else "zero-shot"
            rows.append(row("mean", label, mean))
    return "\n".join(rows)


def print_table_from_args(args: argparse.Namespace) -> None:
    metrics = read_metrics(args.metrics_file)
    split, scores = language_scores(metrics, args.split, args.metrics_file)
    run = args.run
    if run is None and args.zero_shot is None:
        folder = os.path.dirname(os.path.abspath(args.metrics_file))
        if not os.path.isfile(os.path.join(folder, "config.json")):
            raise ConfigurationError(
                f"{args.metrics_file}: no config.json beside it to tell the training languages; "
                "pass --run RUN_FOLDER_OR_ARCHIVE or --zero-shot LANG ..."
            )
        run = folder
    if args.zero_shot is not None:
        zero_shot = list(args.zero_shot)
        source = "--zero-shot"
        unknown = sorted(set(zero_shot) - set(scores))
        if unknown:
            logger.warning(
                "--zero-shot languages without scores in %s: %s",
                args.metrics_file,
                ", ".join(unknown),
            )
    else:
        trained = training_languages(run)
        zero_shot = [language for language in scores if language not in trained]
        source = f"trained on {', '.join(trained)} ({run})"
        unknown = sorted(set(trained) - set(scores))
        if unknown:
            logger.warning(
                "training languages without scores in %s: %s", args.metrics_file, ", ".join(unknown)
            )
    print(f"{split} scores of {args.metrics_file}; zero-shot from {source}")
    print(attachment_table(scores, zero_shot))
    print("means are unweighted over the languages of each group (sources: the training languages)")
