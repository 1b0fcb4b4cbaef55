"""
`allennlp elmo-anchors`: the anchors of an ELMo model over a corpus (per word type and layer, the
mean of its contextual vectors), in word2vec text format, for `allennlp elmo-align`.
"""

import argparse

from allennlp.commands.subcommand import Subcommand

from allennlp_multilang_elmo.alignment.anchors import elmo_anchors


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
        subparser.add_argument("options_file", type=str, help="the bilm-tf options.json")
        subparser.add_argument("weight_file", type=str, help="the bilm-tf hdf5 weights")
        subparser.add_argument(
            "corpus",
            nargs="+",
            help="files or globs: plain text (one tokenised sentence per line) or .conllu",
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
    )
    norms = ", ".join(f"layer {layer} {norm:.3f}" for layer, norm in summary["mean_norms"].items())
    print(
        f"{summary['num_sentences']} sentences, {summary['num_tokens']} tokens, "
        f"{len(summary['counts'])} word types with anchors in {args.output_dir}\n"
        f"mean token norms: {norms}"
    )
