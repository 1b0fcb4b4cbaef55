"""
`allennlp elmo-align`: learns the orthogonal map from a source language's anchors onto a target's
(Procrustes on a dictionary or identical strings, CSLS refinement, the round best on validation
pairs kept and measured on test pairs), as an `aligning_files` entry.
"""

import argparse
import os
from typing import Any, Dict, List, Optional

from allennlp.commands.subcommand import Subcommand

from allennlp_multilang_elmo.alignment.align import (
    SCALES,
    align_anchor_layers,
    align_vectors,
    report_path,
)


@Subcommand.register("elmo-align")
class ElmoAlign(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Learn the alignment of a source language's ELMo anchors onto a target's: SOURCE_VEC "
            "TARGET_VEC (word2vec text files) give one (dim, dim) matrix, applied after the scalar "
            "mix; SOURCE_DIR TARGET_DIR (elmo-anchors outputs) give a (num_layers, dim, dim) stack "
            "that aligns every layer before the mix. x @ W.T maps the source onto the target. "
            "Of the refinement rounds, keeps the one with the best validation precision@1 (CSLS) "
            "and reports its test precision@1. Writes the matrix with torch.save and a JSON "
            "report of every round beside it."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("source", help="SOURCE_VEC, or SOURCE_DIR from elmo-anchors")
        subparser.add_argument("target", help="TARGET_VEC, or TARGET_DIR from elmo-anchors")
        subparser.add_argument("--output", required=True, help="the alignment file to write")
        subparser.add_argument(
            "--dictionary",
            default=None,
            help="MUSE bilingual dictionary ('source target' per line); default: identical strings",
        )
        subparser.add_argument(
            "--refinement", type=int, default=0, help="CSLS mutual-NN refinement rounds"
        )
        subparser.add_argument(
            "--initial-alignment",
            default=None,
            metavar="FILE",
            help="start from this alignment (e.g. elmo-align-parallel's, a stack for anchor "
            "folders) as round 0 instead of Procrustes on the dictionary; refinement rounds "
            "follow, and the dictionary still gives the validation and test pairs",
        )
        subparser.add_argument(
            "--refinement-vocabulary",
            type=int,
            default=15000,
            help="most frequent words per side that refinement matches",
        )
        subparser.add_argument(
            "--validation",
            type=float,
            default=0.1,
            help="fraction of the dictionary's source words held out to choose the round kept; "
            "0 keeps the last round",
        )
        subparser.add_argument(
            "--held-out",
            "--test-fraction",
            dest="held_out",
            type=float,
            default=None,
            help="fraction of the dictionary's source words held out as test pairs, for the "
            "precision@1 reported (default 0.1; not with --test-dictionary)",
        )
        subparser.add_argument(
            "--test-dictionary",
            default=None,
            help="MUSE dictionary of the test pairs instead; their source words are left out of "
            "training and validation",
        )
        subparser.add_argument(
            "--keep-identical-test-pairs",
            action="store_true",
            help="also validate and test on words that a dictionary translates by themselves "
            "(numbers, names), which inflates precision; without --dictionary (identical strings) "
            "the validation and held-out test pairs are such words anyway",
        )
        subparser.add_argument(
            "--min-pairs",
            type=int,
            default=50,
            help="refuse dictionaries with fewer usable training pairs",
        )
        subparser.add_argument("--csls-k", type=int, default=10, help="CSLS neighbourhood size")
        subparser.add_argument(
            "--seed", type=int, default=0, help="seed of the validation and test split"
        )
        subparser.add_argument(
            "--layers",
            type=int,
            nargs="+",
            default=None,
            help="with directories: the layers to stack, every ELMo layer in order (default)",
        )
        subparser.add_argument(
            "--scale",
            choices=SCALES,
            default="none",
            help="'none': the orthogonal map onto the target space; 'mean-norm': as the authors' "
            "released matrices, a shared space of unit mean token norm: the source's map divided "
            "by its mean norm, and the target's matrix (identity over its mean norm) written to "
            "--target-output",
        )
        subparser.add_argument(
            "--target-output", default=None, help="with --scale mean-norm: the target's matrix"
        )
        subparser.set_defaults(func=elmo_align_from_args)
        return subparser


def _percent(scores: Optional[Dict[str, float]], method: str = "csls") -> str:
    return "-" if scores is None else f"{100 * scores[method]:.1f}"


def _pairs(count: int) -> str:
    return f"{count} pair" if count == 1 else f"{count} pairs"


def _summary(report: Dict[str, Any]) -> List[str]:
    """The report as lines: the pairs of every part, every round, the round kept."""
    parts = (
        f"{report['usable_pairs']} of {report['dictionary_pairs']} dictionary pairs usable: "
        f"{report['training_pairs']} training, {report['validation_pairs']} validation, "
        f"{report['held_out_pairs']} test"
    )
    if report["test_dictionary_pairs"] is not None:
        parts += (
            f" (from --test-dictionary: {report['usable_test_dictionary_pairs']} of its "
            f"{report['test_dictionary_pairs']} pairs usable, "
            f"{_pairs(report['seed_pairs_of_test_words'])} of its words left out of the seed)"
        )
    counts = {"validation": report["validation_pairs"], "test": report["held_out_pairs"]}
    evaluated = [part for part, kept in report["identical_pairs_evaluated"].items() if kept]
    evaluated = [part for part in evaluated if counts[part]]
    if report["excluded_identical_pairs"]:
        parts += (
            f"; {_pairs(report['excluded_identical_pairs'])} of words translated by themselves "
            "kept out of validation and test"
        )
    if evaluated:
        verb = "include" if len(evaluated) > 1 else "includes"
        parts += f"; {' and '.join(evaluated)} {verb} words translated by themselves"
    lines = [parts]
    for r in report["rounds"]:
        kept = " (kept)" if r["round"] == report["best_round"] else ""
        lines.append(
            f"  round {r['round']}: {r['dictionary_size']} pairs, precision@1 CSLS validation "
            f"{_percent(r['validation_precision_at_1'])}, test {_percent(r['precision_at_1'])}"
            f"{kept}"
        )
    scores = report["precision_at_1"]
    test = (
        "no test pairs"
        if scores is None
        else f"test precision@1 NN {_percent(scores, 'nn')}, CSLS {_percent(scores)}"
    )
    lines.append(f"  kept round {report['best_round']}, {report['selection']}: {test}")
    return lines


def elmo_align_from_args(args: argparse.Namespace) -> None:
    options = dict(
        dictionary=args.dictionary,
        scale=args.scale,
        target_output=args.target_output,
        refinement=args.refinement,
        test_dictionary=args.test_dictionary,
        initial_alignment=args.initial_alignment,
        validation=args.validation,
        held_out=args.held_out,
        keep_identical=args.keep_identical_test_pairs,
        seed=args.seed,
        refinement_vocabulary=args.refinement_vocabulary,
        csls_k=args.csls_k,
        min_pairs=args.min_pairs,
    )
    if os.path.isdir(args.source):
        report = align_anchor_layers(args.source, args.target, args.output, args.layers, **options)
        for layer, layer_report in report["layers"].items():
            first, *rest = _summary(layer_report)
            print("\n".join([f"layer {layer}: {first}", *rest]))
    else:
        if args.layers is not None:
            raise ValueError("--layers needs SOURCE_DIR and TARGET_DIR from elmo-anchors")
        print("\n".join(_summary(align_vectors(args.source, args.target, args.output, **options))))
    print(f"wrote {args.output} and {report_path(args.output)}")
