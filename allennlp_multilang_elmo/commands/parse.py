"""
`allennlp parse`: parses CoNLL-U files or raw text with a trained `biaffine_parser_multilang`
archive and writes CoNLL-U (see `allennlp_multilang_elmo.predictors.conllu_parsing`).
"""

import argparse
import logging
import os

from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allennlp_multilang_elmo.predictors.conllu_parsing import INPUT_FORMATS, parse_files


@Subcommand.register("parse")
class Parse(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Parse CoNLL-U files (HEAD and DEPREL filled in, UPOS where missing; comments, "
            "multiword tokens and empty nodes kept) or raw text, one sentence per line, into "
            "one CoNLL-U file."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("archive_file", type=str, help="the trained model (model.tar.gz)")
        subparser.add_argument("input_files", nargs="+", type=str, help="the files to parse")
        subparser.add_argument("--output-file", required=True, type=str, help="CoNLL-U output")
        subparser.add_argument(
            "--lang",
            type=str,
            default=None,
            help="the language of every input (default: from each file name, as the reader does)",
        )
        subparser.add_argument(
            "--input-format", choices=INPUT_FORMATS, default="conllu", help="(default: conllu)"
        )
        subparser.add_argument("--batch-size", type=int, default=32, help="sentences per batch")
        subparser.add_argument("--cuda-device", type=int, default=-1, help="GPU id, -1 for CPU")
        subparser.set_defaults(func=parse_from_args)
        return subparser


def parse_from_args(args: argparse.Namespace) -> None:
    if "ALLENNLP_LOG_LEVEL" not in os.environ and "ALLENNLP_DEBUG" not in os.environ:
        # Loading an archive logs its whole configuration; warnings and errors are what count here.
        logging.getLogger().setLevel(logging.WARNING)
    if not os.path.isfile(args.archive_file):
        raise ConfigurationError(f"{args.archive_file}: no such model archive")
    archive = load_archive(args.archive_file, cuda_device=args.cuda_device)
    predictor = Predictor.from_archive(
        archive, "biaffine_parser_multilang", dataset_reader_to_load="validation"
    )
    summary = parse_files(
        predictor,  # type: ignore[arg-type]
        args.input_files,
        args.output_file,
        language=args.lang,
        input_format=args.input_format,
        batch_size=args.batch_size,
    )
    print(f"{summary}; wrote {args.output_file}")
