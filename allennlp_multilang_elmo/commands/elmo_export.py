"""
`allennlp elmo-export`: writes the biLM of a trained `elmo_bilm_language_model` archive as a bilm-tf
ELMo (`options.json` + `weights.hdf5`), which AllenNLP's `Elmo`, this package's embedder and
bilm-tf read.
"""

import argparse
import os
import tarfile
from typing import Dict

from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive

from allennlp_multilang_elmo.models.elmo_language_model import ElmoLanguageModel
from allennlp_multilang_elmo.modules.elmo_weights import write_elmo_files


@Subcommand.register("elmo-export")
class ElmoExport(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Export the biLM of an elmo_bilm_language_model archive to bilm-tf files: "
            "OUTPUT_DIR/options.json and OUTPUT_DIR/weights.hdf5. OUTPUT_DIR must not exist; it "
            "appears only when both files are complete."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("archive_file", help="model.tar.gz of a trained biLM")
        subparser.add_argument("output_dir", help="the folder to create")
        subparser.set_defaults(func=_export_from_args)
        return subparser


def export_elmo_archive(archive_file: str, output_dir: str) -> Dict[str, str]:
    """
    Writes the biLM of `archive_file` (an `elmo_bilm_language_model`) to `output_dir` with
    `write_elmo_files` and returns the paths written. Raises a `ConfigurationError` naming the
    file when the output folder exists, the archive cannot be read or holds another model; nothing
    is written then.
    """
    if os.path.lexists(output_dir):
        raise ConfigurationError(
            f"The output folder {output_dir!r} already exists; give a new folder (nothing was "
            "written)"
        )
    if not os.path.isfile(archive_file):
        raise ConfigurationError(f"The archive {archive_file!r} does not exist")
    try:
        model = load_archive(archive_file).model
    except (OSError, EOFError, KeyError, RuntimeError, tarfile.TarError, ConfigurationError) as e:
        raise ConfigurationError(f"Cannot load the archive {archive_file!r}: {e}") from e
    if not isinstance(model, ElmoLanguageModel):
        raise ConfigurationError(
            f"The archive {archive_file!r} holds a {type(model).__name__}, not a biLM: only "
            "elmo_bilm_language_model archives can be exported"
        )
    return write_elmo_files(model.options, model.elmo_weights(), output_dir)


def _export_from_args(args: argparse.Namespace) -> None:
    files = export_elmo_archive(args.archive_file, args.output_dir)
    print(f"wrote {files['options_file']} and {files['weight_file']}")
