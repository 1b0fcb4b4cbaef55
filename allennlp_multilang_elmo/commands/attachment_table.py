"""
`allennlp attachment-table`: prints the per-language UAS/LAS of a metrics file written by
`allennlp evaluate --output-file` (or `train`'s metrics.json) as a table.
"""
import argparse
import json
import re
from typing import Dict, List

from allennlp.commands.subcommand import Subcommand

_PER_LANGUAGE = re.compile(r"^(?:test_|best_validation_|validation_)?(UAS|LAS)_(.+)$")


@Subcommand.register("attachment-table")
class AttachmentTable(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Print the per-language UAS/LAS of a metrics JSON file as a table."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("metrics_file", type=str, help="JSON metrics with UAS_xx / LAS_xx keys")
        subparser.add_argument(
            "--zero-shot", nargs="*", default=[], help="languages to mark as zero-shot targets"
        )
        subparser.set_defaults(func=print_table_from_args)
        return subparser


def attachment_table(metrics: Dict[str, float], zero_shot: List[str]) -> str:
    """Formats the `UAS_<lang>` / `LAS_<lang>` entries of `metrics` as a fixed-width table."""
    scores: Dict[str, Dict[str, float]] = {}
    for key, value in metrics.items():
        match = _PER_LANGUAGE.match(key)
        if match and match.group(2) != "AVG":
            scores.setdefault(match.group(2), {})[match.group(1)] = value
    if not scores:
        raise ValueError("no UAS_<lang> / LAS_<lang> entries in the metrics")
    rows = [f"{'language':<10}{'setting':<12}{'UAS':>8}{'LAS':>8}"]
    for language in sorted(scores, key=lambda lang: (lang in zero_shot, lang)):
        setting = "zero-shot" if language in zero_shot else "trained"
        uas, las = (100 * scores[language].get(k, float("nan")) for k in ("UAS", "LAS"))
        rows.append(f"{language:<10}{setting:<12}{uas:>8.1f}{las:>8.1f}")
    return "\n".join(rows)


def print_table_from_args(args: argparse.Namespace) -> None:
    with open(args.metrics_file) as f:
        print(attachment_table(json.load(f), args.zero_shot))
