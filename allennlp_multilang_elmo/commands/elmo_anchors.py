"""
`allennlp elmo-anchors`: the anchors of an ELMo model over a corpus (per word type and layer, the
mean of its contextual vectors), in word2vec text format, for `allennlp elmo-align`.
"""

import argparse
from typing import Any, Dict

from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError

from allennlp_multilang_elmo.alignment.anchors import elmo_anchors, merge_anchor_shards
from allennlp_multilang_elmo.commands.shard_options import shard_argument
from allennlp_multilang_elmo.commands.tokenization_options import (
    add_tokenization_options,
    tokenizer_from_args,
)
from allennlp_multilang_elmo.common.corpus_files import corpus_files


@Subcommand.register("elmo-anchors")
class ElmoAnchors(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Compute the anchors of an ELMo model over a corpus: for every word type and layer the "
            "mean of its contextual vectors. Writes OUTPUT_DIR/anchors_layer<L>.vec (word2vec text "
            "format, most frequent word first) and OUTPUT_DIR/anchors.json (counts, mean norms, "
            "input files, sha256 of the weights)."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("options_file", nargs="?", type=str, help="the bilm-tf options.json")
        subparser.add_argument("weight_file", nargs="?", type=str, help="the bilm-tf hdf5 weights")
        subparser.add_argument(
            "corpus",
            nargs="*",
            help="files or globs: plain text (one sentence per line: raw with --language, "
            "tokenised with --tokenized) or .conllu",
        )
        add_tokenization_options(subparser)
        subparser.add_argument(
            "--deterministic",
            action="store_true",
            help="start every sentence from the same warm biLM state (needed by --shard)",
        )
        subparser.add_argument(
            "--shard",
            type=shard_argument,
            default=None,
            help="I/N: read every N-th sentence from the I-th (1-based) and write this shard's "
            "partial sums to --output-dir, for --merge; run the N shards anywhere, in parallel",
        )
        subparser.add_argument(
            "--merge",
            nargs="+",
            default=None,
            metavar="SHARD_DIR",
            help="merge the --shard outputs of all N shards into the anchors of the whole corpus "
            "(no model or corpus arguments then)",
        )
        subparser.add_argument("--output-dir", required=True, help="where to write the anchors")
        subparser.add_argument(
            "--layers", type=int, nargs="+", default=None, help="ELMo layers (default: all)"
        )
        subparser.add_argument(
            "--vocabulary", default=None, help="only these words (first field of each line)"
        )
        subparser.add_argument("--min-count", type=int, default=1, help="leave out rarer words")
        subparser.add_argument(
            "--max-sentences", type=int, default=None, help="stop after this many sentences"
        )
        subparser.add_argument(
            "--max-sentence-length",
            type=int,
            default=400,
            help="longer sentences (tokens) are an error",
        )
        subparser.add_argument("--batch-size", type=int, default=64, help="sentences per batch")
        subparser.add_argument("--cuda-device", type=int, default=-1, help="GPU id; -1 is the CPU")
        subparser.set_defaults(func=elmo_anchors_from_args)
        return subparser


def elmo_anchors_from_args(args: argparse.Namespace) -> None:
    if args.merge is not None:
        if args.options_file or args.shard:
            raise ConfigurationError(
                "--merge takes shard folders only: no model, corpus or --shard"
            )
        summary = merge_anchor_shards(args.merge, args.output_dir, min_count=args.min_count)
        print(f"merged {len(args.merge)} shards: ", end="")
        _print_summary(summary, args.output_dir)
        return
    if not (args.options_file and args.weight_file and args.corpus):
        raise ConfigurationError(
            "give OPTIONS_FILE WEIGHT_FILE CORPUS... (or --merge SHARD_DIR...)"
        )
    # Tokenisation is needed only if some file is plain text (CoNLL-U files are tokenised).
    text = any(not path.endswith(".conllu") for path in corpus_files(args.corpus))
    summary = elmo_anchors(
        args.options_file,
        args.weight_file,
        args.corpus,
        args.output_dir,
        layers=args.layers,
        vocabulary_file=args.vocabulary,
        min_count=args.min_count,
        max_sentences=args.max_sentences,
        batch_size=args.batch_size,
        cuda_device=args.cuda_device,
        max_sentence_length=args.max_sentence_length,
        shard=args.shard,
        deterministic=args.deterministic,
        tokenizer=tokenizer_from_args(args, needed=text),
    )
    if args.shard:
        print(
            f"shard {args.shard[0]}/{args.shard[1]}: {summary['num_sentences']} sentences, "
            f"{summary['num_tokens']} tokens; partial sums in {args.output_dir}"
        )
        return
    _print_summary(summary, args.output_dir)


def _print_summary(summary: Dict[str, Any], output_dir: str) -> None:
    norms = ", ".join(f"layer {layer} {norm:.3f}" for layer, norm in summary["mean_norms"].items())
    print(
        f"{summary['num_sentences']} sentences, {summary['num_tokens']} tokens, "
        f"{len(summary['counts'])} word types with anchors in {output_dir}\n"
        f"mean token norms: {norms}"
    )
