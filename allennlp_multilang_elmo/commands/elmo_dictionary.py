"""
`allennlp elmo-dictionary`: a bilingual seed dictionary for `allennlp elmo-align` from parallel
text, by co-occurrence in aligned sentences (see `parallel_dictionary`), in MUSE's format.
"""

import argparse
from typing import Dict, List, Optional, Tuple

from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError

from allennlp_multilang_elmo.alignment.dictionary import write_dictionary
from allennlp_multilang_elmo.alignment.parallel_dictionary import (
    add_identical_strings,
    cooccurrence_dictionary,
)
from allennlp_multilang_elmo.data.dataset_readers.bilm_text import BilmTextDatasetReader


@Subcommand.register("elmo-dictionary")
class ElmoDictionary(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Build a seed dictionary ('source target' per line, MUSE's format) from a "
            "sentence-aligned tab-separated file: word pairs that occur in the same aligned "
            "sentences far more often than chance (Dice coefficient), each word the other's best "
            "match; optionally followed by the strings both sides share. The text is tokenised "
            "as the biLM reader (bilm_text) tokenises it, so the words are the biLMs' words."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("parallel", help="tab-separated file, one aligned pair a line")
        subparser.add_argument("--output", required=True, help="the dictionary file to write")
        subparser.add_argument(
            "--columns",
            type=int,
            nargs=2,
            default=(0, 1),
            metavar=("SOURCE", "TARGET"),
            help="the 0-based columns of the source and target text",
        )
        subparser.add_argument(
            "--languages",
            nargs=2,
            default=("xx", "xx"),
            metavar=("SOURCE", "TARGET"),
            help="languages of spaCy's tokenisation rules, as bilm_text's `language`",
        )
        subparser.add_argument(
            "--min-count",
            type=int,
            default=5,
            help="a pair occurs in at least this many sentence pairs",
        )
        subparser.add_argument("--min-dice", type=float, default=0.3, help="least Dice coefficient")
        subparser.add_argument(
            "--identical-min-count",
            type=int,
            default=None,
            help="also pair every string seen this often on both sides with itself",
        )
        subparser.set_defaults(func=elmo_dictionary_from_args)
        return subparser


def parallel_sentences(
    path: str, columns: Tuple[int, int], languages: Tuple[str, str]
) -> Tuple[List[List[str]], List[List[str]]]:
    """The tokenised source and target sentences of the parallel file `path`, line by line."""
    sides = [
        BilmTextDatasetReader(column=column, language=language, max_sentence_length=10**9)
        for column, language in zip(columns, languages)
    ]
    source, target = (side.read_sentences(path) for side in sides)
    if len(source) != len(target):
        raise ConfigurationError(
            f"{path}: {len(source)} source and {len(target)} target sentences; every line needs "
            "text in both columns"
        )
    return source, target


def elmo_dictionary(
    parallel: str,
    output: str,
    columns: Tuple[int, int] = (0, 1),
    languages: Tuple[str, str] = ("xx", "xx"),
    min_count: int = 5,
    min_dice: float = 0.3,
    identical_min_count: Optional[int] = None,
) -> Dict[str, int]:
    """
    Writes the dictionary of `parallel` to `output` (see `allennlp elmo-dictionary --help`);
    returns the numbers of co-occurrence and identical-string pairs.
    """
    source, target = parallel_sentences(parallel, columns, languages)
    try:
        scored = cooccurrence_dictionary(zip(source, target), min_count, min_dice)
        pairs = [(s, t) for s, t, _ in scored]
        if identical_min_count is not None:
            pairs = add_identical_strings(pairs, source, target, identical_min_count)
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    if not pairs:
        raise ConfigurationError(
            f"{parallel}: no word pair occurs in {min_count} sentence pairs with Dice >= "
            f"{min_dice}; lower --min-count or give more text"
        )
    write_dictionary(output, pairs)
    return {"cooccurrence": len(scored), "identical": len(pairs) - len(scored)}


def elmo_dictionary_from_args(args: argparse.Namespace) -> None:
    counts = elmo_dictionary(
        args.parallel,
        args.output,
        tuple(args.columns),
        tuple(args.languages),
        args.min_count,
        args.min_dice,
        args.identical_min_count,
    )
    print(
        f"{counts['cooccurrence']} co-occurrence pairs and {counts['identical']} identical "
        f"strings in {args.output}"
    )
