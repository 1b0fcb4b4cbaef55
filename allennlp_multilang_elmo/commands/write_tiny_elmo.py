"""
`allennlp write-tiny-elmo`: writes a tiny, randomly initialised ELMo per language (bilm-tf layout)
plus alignment matrices, for demos and tests that must run offline.
"""
import argparse
import json
import logging
import os

from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError

from allennlp_multilang_elmo.testing.elmo_factory import elmo_options, write_multilang_elmo

logger = logging.getLogger(__name__)


@Subcommand.register("write-tiny-elmo")
class WriteTinyElmo(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Write a tiny random ELMo (options.json + weights.hdf5) per language into "
            "OUTPUT_DIR/<lang>/, with an orthogonal alignment align.pth for every language but the "
            "first. They have the real file layout but carry no linguistic knowledge."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("output_dir", type=str, help="where to write the models")
        subparser.add_argument(
            "--languages", nargs="+", required=True, help="language codes; the first is the target space"
        )
        subparser.add_argument("--seed", type=int, default=1, help="seed of the first language")
        subparser.add_argument("--projection-dim", type=int, default=8, help="ELMo output is twice this")
        subparser.add_argument("--cell-dim", type=int, default=16, help="LSTM cell size")
        subparser.add_argument(
            "--force", action="store_true", help="overwrite model files that already exist"
        )
        subparser.set_defaults(func=write_tiny_elmo_from_args)
        return subparser


def write_tiny_elmo_from_args(args: argparse.Namespace) -> None:
    if not args.force:
        for lang in args.languages:
            for name in ("options.json", "weights.hdf5", "align.pth"):
                path = os.path.join(args.output_dir, lang, name)
                if os.path.exists(path):
                    raise ConfigurationError(f"{path} already exists; pass --force to overwrite it")
    options = elmo_options(projection_dim=args.projection_dim, cell_dim=args.cell_dim)
    files = write_multilang_elmo(args.output_dir, args.languages, options, base_seed=args.seed)
    print(json.dumps(files, indent=2))
