"""
`allennlp elmo-add-language`: a trained parser's archive that also parses a new language, or with
a language's biLM or alignment swapped, without retraining (see `elmo_archive_languages`).
"""

import argparse

from allennlp.commands.subcommand import Subcommand

from allennlp_multilang_elmo.modules.elmo_archive_languages import add_language


@Subcommand.register("elmo-add-language")
class ElmoAddLanguage(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Write a copy of a trained parser's archive that also parses LANG (zero-shot), with "
            "LANG's biLM and alignment inside it; the parser's weights are copied bit for bit. "
            "With --replace, swap the biLM or the alignment of a language the archive has (e.g. "
            "to compare alignments, or --no-alignment for the 'not aligned' setting)."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("archive_file", help="the trained model (model.tar.gz)")
        subparser.add_argument("output_archive", help="the new archive (must not exist)")
        subparser.add_argument("--lang", required=True, help="the language code, e.g. pt")
        subparser.add_argument("--options-file", help="LANG's bilm-tf options.json (path or URL)")
        subparser.add_argument("--weight-file", help="LANG's bilm-tf hdf5 weights (path or URL)")
        alignment = subparser.add_mutually_exclusive_group()
        alignment.add_argument(
            "--alignment-file", help="LANG's alignment onto the shared space (path or URL)"
        )
        alignment.add_argument(
            "--no-alignment", action="store_true", help="the identity: LANG not aligned"
        )
        subparser.add_argument(
            "--mix-from",
            help="the language whose learned scalar mix LANG gets (default: with a fixed mix the "
            "config's; else the parser's one training language, required when it has several)",
        )
        subparser.add_argument(
            "--replace", action="store_true", help="LANG is in the archive: replace what is given"
        )
        subparser.set_defaults(func=elmo_add_language_from_args)
        return subparser


def elmo_add_language_from_args(args: argparse.Namespace) -> None:
    summary = add_language(
        args.archive_file,
        args.output_archive,
        args.lang,
        options_file=args.options_file,
        weight_file=args.weight_file,
        alignment_file=args.alignment_file,
        no_alignment=args.no_alignment,
        mix_from=args.mix_from,
        replace=args.replace,
    )
    alignment = "aligned" if summary["aligned"] else "not aligned"
    print(
        f"wrote {args.output_archive}: languages {', '.join(summary['languages'])}; "
        f"{summary['language']} {alignment}, {summary['dim']} dimensions in "
        f"{summary['num_layers']} layers ({summary['seconds']:.1f} s)"
    )
