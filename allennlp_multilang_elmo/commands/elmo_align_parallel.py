"""
`allennlp elmo-align-parallel`: learns the orthogonal map from a source language's biLM onto a
target's from word-aligned parallel sentences (contextual vector pairs, not anchors), as an
`aligning_files` entry. The library side is `alignment.parallel_alignment`.
"""

import argparse
from typing import Any, Dict, List, Optional

from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError

from allennlp_multilang_elmo.alignment.align import report_path
from allennlp_multilang_elmo.alignment.parallel_alignment import (
    EFLOMAL,
    align_parallel,
    merge_parallel_shards,
)
from allennlp_multilang_elmo.alignment.word_alignment import SYMMETRIZATIONS
from allennlp_multilang_elmo.commands.shard_options import shard_argument
from allennlp_multilang_elmo.commands.tokenization_options import (
    add_parallel_text_options,
    parallel_languages_from_args,
)


@Subcommand.register("elmo-align-parallel")
class ElmoAlignParallel(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Learn the alignment of a source language's biLM onto a target's from parallel "
            "sentences: PARALLEL is tab-separated, one pair a line. The tokens of "
            "each pair are word-aligned (eflomal in both directions, symmetrised, or a Pharaoh "
            "file), every aligned token pair gives its source and target ELMo vectors per layer, "
            "and each layer's map is the orthogonal Procrustes solution from their "
            "cross-covariance (streamed: memory does not grow with the corpus). Writes what "
            "elmo-align writes: a (num_layers, dim, dim) stack (every layer, aligned before the "
            "mix) or one layer's (dim, dim) map, with torch.save, and a JSON report beside it "
            "(pairs, links, precision@1 on --dictionary), all or nothing. x @ W.T maps the source "
            "onto the target. The defaults of the link and vector options are provisional: not "
            "yet measured against each other. A large corpus runs as N shards (--shard I/N, "
            "anywhere, in parallel, each writing its partial sums to a folder) and a merge "
            "(--merge) that gives the map of the whole corpus."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("source_options", nargs="?", help="the source biLM's options.json")
        subparser.add_argument("source_weights", nargs="?", help="the source biLM's hdf5 weights")
        subparser.add_argument("target_options", nargs="?", help="the target biLM's options.json")
        subparser.add_argument("target_weights", nargs="?", help="the target biLM's hdf5 weights")
        subparser.add_argument(
            "parallel",
            nargs="?",
            metavar="PARALLEL",
            help="tab-separated file, one 'source<TAB>target' a line",
        )
        subparser.add_argument(
            "--output",
            required=True,
            help="the alignment file to write (with --shard: the folder of the shard's sums)",
        )
        subparser.add_argument(
            "--shard",
            type=shard_argument,
            default=None,
            help="I/N: sum every N-th sentence pair from the I-th (1-based) and write the sums to "
            "the folder --output, for --merge; needs --deterministic and --word-alignment FILE "
            "(the links of the whole corpus, from elmo-word-align)",
        )
        subparser.add_argument(
            "--merge",
            nargs="+",
            default=None,
            metavar="SHARD_DIR",
            help="merge the --shard outputs of all N shards into the map of the whole corpus "
            "(no biLM or PARALLEL arguments then; --dictionary needs --anchors)",
        )
        subparser.add_argument(
            "--layers",
            type=int,
            nargs="+",
            default=None,
            help="every layer of the biLMs in order (default): a per-layer stack; or one layer: "
            "its (dim, dim) map, applied after the mix",
        )
        add_parallel_text_options(subparser)
        subparser.add_argument(
            "--word-alignment",
            default=EFLOMAL,
            metavar="eflomal|FILE",
            help="'eflomal': align PARALLEL's tokens with eflomal, both ways, symmetrised; or a "
            "Pharaoh file ('0-0 1-2 ...' per line: source-target token indices from 0, of the "
            "tokens as tokenised here, source as in --columns), one line per line of PARALLEL",
        )
        subparser.add_argument(
            "--symmetrization",
            choices=SYMMETRIZATIONS,
            default="intersection",
            help="how eflomal's two directions are combined (the default is provisional): "
            "'intersection', the links both found, one-to-one; 'grow-diag-final-and', more "
            "links, some many-to-one",
        )
        subparser.add_argument(
            "--write-word-alignment",
            default=None,
            metavar="FILE",
            help="also write the links before the filters (Pharaoh format), to reuse them with "
            "--word-alignment FILE (eflomal samples: two runs differ slightly)",
        )
        subparser.add_argument(
            "--one-to-one",
            action="store_true",
            help="keep only links whose two tokens have no other link",
        )
        subparser.add_argument(
            "--drop-punctuation",
            action="store_true",
            help="drop links with a punctuation token (all characters Unicode P*) on either side",
        )
        subparser.add_argument(
            "--drop-identical",
            action="store_true",
            help="drop links between two equal strings (numbers, names, code)",
        )
        subparser.add_argument(
            "--center",
            action="store_true",
            help="learn the rotation of the pairs centred by their means (the map is applied to "
            "uncentred vectors all the same)",
        )
        subparser.add_argument(
            "--type-level",
            action="store_true",
            help="one pair per aligned word-type pair, the means of its token pairs' vectors, "
            "instead of one per token pair (memory grows with the type pairs)",
        )
        subparser.add_argument(
            "--deterministic",
            action="store_true",
            help="start every sentence from the same warm biLM state instead of the state after "
            "the sentence before",
        )
        subparser.add_argument(
            "--dictionary",
            default=None,
            help="dictionary ('source target' or 'source<TAB>target' lines) to report each "
            "layer's precision@1 on, as elmo-align measures its test pairs, retrieving among the "
            "words of PARALLEL (or of --anchors)",
        )
        subparser.add_argument(
            "--anchors",
            nargs=2,
            default=None,
            metavar=("SOURCE_DIR", "TARGET_DIR"),
            help="elmo-anchors outputs whose vectors --dictionary is measured on instead, as "
            "elmo-align measures an anchor alignment",
        )
        subparser.add_argument(
            "--keep-identical-test-pairs",
            action="store_true",
            help="also test on words that the dictionary translates by themselves",
        )
        subparser.add_argument("--csls-k", type=int, default=10, help="CSLS neighbourhood size")
        add_pair_limit_options(subparser)
        subparser.add_argument(
            "--batch-size", type=int, default=64, help="sentence pairs per batch"
        )
        subparser.add_argument("--cuda-device", type=int, default=-1, help="GPU id; -1 is the CPU")
        subparser.set_defaults(func=elmo_align_parallel_from_args)
        return subparser


def add_pair_limit_options(parser: argparse.ArgumentParser) -> None:
    """
    `--max-pairs` and `--max-sentence-length`: elmo-word-align takes them too, so that the links
    it writes for `--word-alignment FILE` are of the pairs this command reads.
    """
    parser.add_argument(
        "--max-pairs", type=int, default=None, help="read only the first N lines of PARALLEL"
    )
    parser.add_argument(
        "--max-sentence-length",
        type=int,
        default=400,
        help="longer sides (tokens) are an error",
    )


def _percent(scores: Optional[Dict[str, float]], method: str) -> str:
    return "-" if scores is None else f"{100 * scores[method]:.1f}"


def elmo_align_parallel_from_args(args: argparse.Namespace) -> None:
    positional = [
        args.source_options,
        args.source_weights,
        args.target_options,
        args.target_weights,
        args.parallel,
    ]
    if args.merge is not None:
        if any(positional) or args.shard:
            raise ConfigurationError(
                "--merge takes shard folders only: no biLM, PARALLEL or --shard"
            )
        report = merge_parallel_shards(
            args.merge,
            args.output,
            dictionary=args.dictionary,
            anchors=tuple(args.anchors) if args.anchors else None,
            csls_k=args.csls_k,
            keep_identical=args.keep_identical_test_pairs,
        )
        print(f"merged {len(args.merge)} shards: " + "\n".join(summary_lines(report)))
        print(f"wrote {args.output} and {report_path(args.output)}")
        return
    if not all(positional):
        raise ConfigurationError(
            "give SOURCE_OPTIONS SOURCE_WEIGHTS TARGET_OPTIONS TARGET_WEIGHTS PARALLEL (or "
            "--merge SHARD_DIR...)"
        )
    languages = parallel_languages_from_args(args)
    report = align_parallel(
        args.source_options,
        args.source_weights,
        args.target_options,
        args.target_weights,
        args.parallel,
        args.output,
        layers=args.layers,
        word_alignment=args.word_alignment,
        languages=languages,
        max_pairs=args.max_pairs,
        columns=tuple(args.columns),
        batch_size=args.batch_size,
        cuda_device=args.cuda_device,
        dictionary=args.dictionary,
        symmetrization=args.symmetrization,
        one_to_one_only=args.one_to_one,
        drop_punctuation=args.drop_punctuation,
        drop_identical=args.drop_identical,
        center=args.center,
        type_level=args.type_level,
        max_sentence_length=args.max_sentence_length,
        deterministic=args.deterministic,
        anchors=tuple(args.anchors) if args.anchors else None,
        csls_k=args.csls_k,
        keep_identical=args.keep_identical_test_pairs,
        write_word_alignment=args.write_word_alignment,
        shard=args.shard,
    )
    if args.shard:
        print(
            f"shard {args.shard[0]}/{args.shard[1]}: {report['sentence_pairs']} sentence pairs, "
            f"{report['word_alignment']['kept_links']} links; partial sums in {args.output}"
        )
        return
    print("\n".join(summary_lines(report)))
    written = [args.output, report_path(args.output)]
    if args.write_word_alignment:
        written.append(args.write_word_alignment)
    print(f"wrote {', '.join(written[:-1])} and {written[-1]}")


def summary_lines(report: Dict[str, Any]) -> List[str]:
    """The report as lines: the corpus, the links, the pairs and precision@1 of each layer."""
    links = report["word_alignment"]
    removed = ", ".join(
        f"{count} {name.replace('_', ' ')}" for name, count in links["removed"].items()
    )
    lines = [
        f"{report['sentence_pairs']} sentence pairs, {report['source_tokens']} source and "
        f"{report['target_tokens']} target tokens; {links['links']} links from "
        f"{links['source']}"
        + (f" ({links['symmetrization']})" if "symmetrization" in links else "")
        + f", {links['kept_links']} kept"
        + (f" (removed: {removed})" if removed else "")
    ]
    for layer, layer_report in report["layers"].items():
        line = f"layer {layer}: {layer_report['pairs']} pairs"
        if layer_report["type_pairs"] is not None:
            line += f" (word-type pairs, of {layer_report['token_pairs']} token pairs)"
        evaluation = layer_report["dictionary"]
        if evaluation is not None:
            scores = evaluation["precision_at_1"]
            line += (
                f"; {evaluation['test_pairs']} test pairs of {evaluation['dictionary_pairs']}, "
                f"precision@1 NN {_percent(scores, 'nn')}, CSLS {_percent(scores, 'csls')}"
            )
        lines.append(line)
    return lines
