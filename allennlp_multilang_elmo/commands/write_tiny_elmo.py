"""
`allennlp write-tiny-elmo`: writes a tiny, randomly initialised ELMo per language (bilm-tf layout)
plus alignment matrices, for demos and tests that must run offline.
"""

import argparse
import json
import logging

from allennlp.commands.subcommand import Subcommand

from allennlp_multilang_elmo.modules.tiny_elmo import (
    LAYOUTS,
    elmo_options,
    write_multilang_elmo,
)

logger = logging.getLogger(__name__)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return value


@Subcommand.register("write-tiny-elmo")
class WriteTinyElmo(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Write a tiny random ELMo (options + hdf5 weights) per language into OUTPUT_DIR, with "
            "orthogonal alignments onto the first language's space. They have the real file "
            "layout but carry no linguistic knowledge. Layout 'folders': <lang>/options.json, "
            "<lang>/weights.hdf5 and <lang>/align.pth (none for the first language); layout "
            "'released': the authors' names options262.json, <lang>_weights.hdf5 and "
            "<lang>_best_mapping.pth (the identity for the first language)."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("output_dir", type=str, help="where to write the models")
        subparser.add_argument(
            "--languages",
            nargs="+",
            required=True,
            help="plain language codes (e.g. en pt-br); the first is the target space",
        )
        subparser.add_argument("--seed", type=int, default=1, help="seed of the first language")
        subparser.add_argument(
            "--projection-dim", type=_positive_int, default=8, help="ELMo output is twice this"
        )
        subparser.add_argument("--cell-dim", type=_positive_int, default=16, help="LSTM cell size")
        subparser.add_argument("--layout", choices=LAYOUTS, default="folders", help="file names")
        subparser.add_argument(
            "--force", action="store_true", help="overwrite model files that already exist"
        )
        subparser.set_defaults(func=write_tiny_elmo_from_args)
        return subparser


def write_tiny_elmo_from_args(args: argparse.Namespace) -> None:
    options = elmo_options(projection_dim=args.projection_dim, cell_dim=args.cell_dim)
    files = write_multilang_elmo(
        args.output_dir,
        args.languages,
        options,
        base_seed=args.seed,
        layout=args.layout,
        overwrite=args.force,
    )
    print(json.dumps(files, indent=2))
