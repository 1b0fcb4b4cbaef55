"""
`allennlp elmo-align`: learns the orthogonal map from a source language's anchors onto a target's
(Procrustes on a dictionary or identical strings, CSLS refinement), as an `aligning_files` entry.
"""

import argparse
import os
from typing import Any, Dict

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
            "Writes the matrix with torch.save and a JSON report beside it."
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
            "--refinement-vocabulary",
            type=int,
            default=15000,
            help="most frequent words per side that refinement matches",
        )
        subparser.add_argument(
            "--held-out",
            type=float,
            default=0.1,
            help="fraction of dictionary source words kept for precision@1",
        )
        subparser.add_argument(
            "--min-pairs",
            type=int,
            default=50,
            help="refuse dictionaries with fewer usable training pairs",
        )
        subparser.add_argument("--csls-k", type=int, default=10, help="CSLS neighbourhood size")
        subparser.add_argument("--seed", type=int, default=0, help="seed of the held-out split")
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


def _precision(report: Dict[str, Any]) -> str:
    scores = report["precision_at_1"]
    if scores is None:
        return "no held-out pairs"
    return f"precision@1 NN {100 * scores['nn']:.1f}, CSLS {100 * scores['csls']:.1f}"


def _summary(report: Dict[str, Any]) -> str:
    rounds = ", ".join(str(r["dictionary_size"]) for r in report["rounds"])
    return (
        f"{report['usable_pairs']} of {report['dictionary_pairs']} dictionary pairs usable, "
        f"{report['held_out_pairs']} held out; pairs per round: {rounds}; {_precision(report)}"
    )


def elmo_align_from_args(args: argparse.Namespace) -> None:
    options = dict(
        dictionary=args.dictionary,
        scale=args.scale,
        target_output=args.target_output,
        refinement=args.refinement,
        held_out=args.held_out,
        seed=args.seed,
        refinement_vocabulary=args.refinement_vocabulary,
        csls_k=args.csls_k,
        min_pairs=args.min_pairs,
    )
    if os.path.isdir(args.source):
        report = align_anchor_layers(args.source, args.target, args.output, args.layers, **options)
        for layer, layer_report in report["layers"].items():
            print(f"layer {layer}: {_summary(layer_report)}")
    else:
        if args.layers is not None:
            raise ValueError("--layers needs SOURCE_DIR and TARGET_DIR from elmo-anchors")
        print(_summary(align_vectors(args.source, args.target, args.output, **options)))
    print(f"wrote {args.output} and {report_path(args.output)}")
