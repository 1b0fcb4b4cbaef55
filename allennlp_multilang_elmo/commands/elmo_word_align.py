"""
`allennlp elmo-word-align`: the word alignment of a parallel file, tokenised as
`elmo-align-parallel` tokenises it, written once in Pharaoh format: the `--word-alignment FILE`
that all `--shard` runs of `elmo-align-parallel` share, or links to inspect and reuse.
"""

import argparse

from allennlp.commands.subcommand import Subcommand

from allennlp_multilang_elmo.alignment.parallel_alignment import word_align
from allennlp_multilang_elmo.alignment.word_alignment import SYMMETRIZATIONS
from allennlp_multilang_elmo.commands.elmo_align_parallel import add_pair_limit_options
from allennlp_multilang_elmo.commands.tokenization_options import (
    add_parallel_text_options,
    parallel_languages_from_args,
)


@Subcommand.register("elmo-word-align")
class ElmoWordAlign(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Word-align a parallel file (tab-separated, one sentence pair a line) with eflomal "
            "in both directions, symmetrised, its tokens split as elmo-align-parallel splits "
            "them, and write the links in Pharaoh format ('0-0 1-2 ...', source-target token "
            "indices from 0), one line per pair, for elmo-align-parallel --word-alignment FILE "
            "(e.g. the links all its --shard runs share)."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "parallel",
            metavar="PARALLEL",
            help="tab-separated file, one 'source<TAB>target' a line",
        )
        subparser.add_argument("--output", required=True, help="the Pharaoh file to write")
        add_parallel_text_options(subparser)
        subparser.add_argument(
            "--symmetrization",
            choices=SYMMETRIZATIONS,
            default="intersection",
            help="how eflomal's two directions are combined, as in elmo-align-parallel",
        )
        add_pair_limit_options(subparser)
        subparser.set_defaults(func=elmo_word_align_from_args)
        return subparser


def elmo_word_align_from_args(args: argparse.Namespace) -> None:
    report = word_align(
        args.parallel,
        args.output,
        languages=parallel_languages_from_args(args),
        columns=tuple(args.columns),
        symmetrization=args.symmetrization,
        max_pairs=args.max_pairs,
        max_sentence_length=args.max_sentence_length,
    )
    links = report["word_alignment"]
    print(
        f"{report['sentence_pairs']} sentence pairs: {links['links']} links "
        f"({links['symmetrization']}); wrote {args.output}"
    )
