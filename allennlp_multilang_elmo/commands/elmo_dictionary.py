"""
`allennlp elmo-dictionary`: a bilingual seed dictionary for `allennlp elmo-align`, in MUSE's
format, merged from any of: parallel text, by co-occurrence in aligned sentences (see
`parallel_dictionary`); FreeDict's dictd dictionaries (see `freedict`); MUSE or tab-separated
dictionary files. Each may be read in the other direction (an en-X dictionary for X-en).
"""

import argparse
import glob
import os
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError

from allennlp_multilang_elmo.alignment.dictionary import (
    Pairs,
    inverted,
    lowercased,
    merge_pairs,
    read_dictionary,
    write_dictionary,
)
from allennlp_multilang_elmo.alignment.freedict import freedict_files, read_freedict
from allennlp_multilang_elmo.alignment.parallel_dictionary import (
    add_identical_strings,
    cooccurrence_dictionary,
)
from allennlp_multilang_elmo.commands.tokenization_options import (
    add_parallel_text_options,
    parallel_languages_from_args,
)
from allennlp_multilang_elmo.common.corpus_files import corpus_files
from allennlp_multilang_elmo.common.text_files import numbered_lines
from allennlp_multilang_elmo.data.dataset_readers.bilm_text import BilmTextDatasetReader
from allennlp_multilang_elmo.data.tokenizers.language_rules_tokenizer import (
    LanguageRulesTokenizer,
)

SOURCE_KINDS = ("freedict", "muse")


class DictionarySource(NamedTuple):
    """
    One dictionary file to merge: `kind` "freedict" (`path` is the dictd `.index`, its data file
    beside it, see `freedict_files`) or "muse" (MUSE's `source target` or `source<TAB>target`
    lines), read as `(target, source)` pairs when `inverted` (an en-X dictionary for X-en).
    """

    kind: str
    path: str
    inverted: bool = False

    @property
    def label(self) -> str:
        """How the command's report names it: `path (FreeDict, inverted)`."""
        kind = {"freedict": "FreeDict", "muse": "MUSE"}.get(self.kind, self.kind)
        return f"{self.path} ({kind}, inverted)" if self.inverted else f"{self.path} ({kind})"


class _AppendSource(argparse.Action):
    """Collects `--freedict`, `--muse` and their inverted forms in command-line order."""

    def __init__(self, *args, kind: str, inverted: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind, self.inverted = kind, inverted

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        sources = list(getattr(namespace, self.dest) or [])
        sources.append(DictionarySource(self.kind, str(values), self.inverted))
        setattr(namespace, self.dest, sources)


@Subcommand.register("elmo-dictionary")
class ElmoDictionary(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Build a seed dictionary ('source target' per line, MUSE's format) from any of: a "
            "sentence-aligned tab-separated file (PARALLEL), FreeDict dictionaries (--freedict) "
            "and dictionary files (--muse), merged into one list without repeats, PARALLEL's "
            "pairs first, then the others in command-line order. From PARALLEL: word pairs "
            "that occur in the same aligned sentences far more often than chance (Dice "
            "coefficient), each word the other's best match; optionally followed by the strings "
            "both sides share. Raw text is tokenised as the biLM reader (bilm_text) tokenises "
            "it (--languages), so the words are the biLMs' words. From FreeDict: the "
            "single-word pairs of every article (headword, translations). Every input must give "
            "pairs; a malformed input is refused, naming its file and line, and nothing is written."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "parallel",
            nargs="?",
            metavar="PARALLEL",
            help="tab-separated file, one aligned pair a line (optional)",
        )
        subparser.add_argument("--output", required=True, help="the dictionary file to write")
        for kind, metavar, what in (
            ("freedict", "INDEX", "a FreeDict dictd `.index` (its .dict.dz or .dict beside it)"),
            ("muse", "FILE", "a dictionary file, 'source target' or 'source<TAB>target' lines"),
        ):
            subparser.add_argument(
                f"--{kind}",
                dest="sources",
                action=_AppendSource,
                kind=kind,
                inverted=False,
                metavar=metavar,
                help=f"{what}, from the source language to the target (repeatable)",
            )
            subparser.add_argument(
                f"--{kind}-inverted",
                dest="sources",
                action=_AppendSource,
                kind=kind,
                inverted=True,
                metavar=metavar,
                help="the same, from the target language to the source: its pairs are read "
                "inverted, so an en-X dictionary serves X-en (repeatable)",
            )
        subparser.add_argument(
            "--lowercase",
            action="store_true",
            help="lowercase every pair of every input before merging them",
        )
        add_parallel_text_options(subparser)
        subparser.add_argument(
            "--min-count",
            type=int,
            default=5,
            help="a PARALLEL pair occurs in at least this many sentence pairs",
        )
        subparser.add_argument("--min-dice", type=float, default=0.3, help="least Dice coefficient")
        subparser.add_argument(
            "--identical-min-count",
            type=int,
            default=None,
            help="also pair every string seen this often on both sides of PARALLEL with itself",
        )
        subparser.set_defaults(func=elmo_dictionary_from_args, sources=[])
        return subparser


def parallel_sentences(
    path: str, columns: Tuple[int, int], languages: Optional[Tuple[str, str]]
) -> Tuple[List[List[str]], List[List[str]]]:
    """
    The tokenised source and target sentences of the parallel file `path`, line by line: raw
    text split by the `language_rules` tokenizers of `languages`, or, with `None`, tokenised
    text split at whitespace.
    """
    if languages is None:
        tokenizers = [LanguageRulesTokenizer(pretokenized=True)] * 2
    else:
        tokenizers = [LanguageRulesTokenizer(language) for language in languages]
    sides = [
        BilmTextDatasetReader(column=column, tokenizer=tokenizer, max_sentence_length=10**9)
        for column, tokenizer in zip(columns, tokenizers)
    ]
    source, target = (side.read_sentences(path) for side in sides)
    if len(source) != len(target):
        raise ConfigurationError(
            f"{path}: {len(source)} source and {len(target)} target sentences; every line needs "
            "text in both columns"
        )
    return source, target


def check_parallel_file(path: str, columns: Tuple[int, int]) -> None:
    """
    Refuses, naming the file and line, a parallel file whose pairs would be misread: a line
    without the source or target column, a line with another number of tab-separated columns
    than the file's first (a tab inside a sentence shifts the columns), or without text in one
    of the two columns (the sides would fall out of step: one line's source with the next
    line's target). Blank lines are skipped, as the reader skips them. Files that do not exist
    (and URLs) are left to the reader, whose errors name them.
    """
    if min(columns) < 0:
        raise ConfigurationError(f"--columns are 0-based column numbers, not {columns}")
    try:
        files = corpus_files([path]) if glob.has_magic(path) else [path]
    except ValueError:
        files = []
    try:
        for file in files:
            if not os.path.isfile(file):
                continue
            first: Optional[Tuple[int, int]] = None  # (line number, number of columns)
            for line_number, line in numbered_lines(file):
                if not line.strip():
                    continue
                fields = line.split("\t")
                where = f"{file}, line {line_number}"
                for side, column in zip(("source", "target"), columns):
                    if len(fields) <= column:
                        raise ConfigurationError(
                            f"{where}: no column {column} (0-based; the line has {len(fields)} "
                            "tab-separated columns)"
                        )
                    if not fields[column].strip():
                        raise ConfigurationError(
                            f"{where}: no {side} text in column {column}; every line needs text "
                            "in both columns (drop the line, or the sides fall out of step)"
                        )
                if first is None:
                    first = (line_number, len(fields))
                elif len(fields) != first[1]:
                    raise ConfigurationError(
                        f"{where}: {len(fields)} tab-separated columns, but line {first[0]} has "
                        f"{first[1]}; a ragged file pairs the wrong columns (a tab inside a "
                        "sentence?)"
                    )
    except ValueError as error:  # not UTF-8 or not text, with the file and line
        raise ConfigurationError(str(error)) from None


def parallel_pairs(
    parallel: str,
    columns: Tuple[int, int] = (0, 1),
    languages: Optional[Tuple[str, str]] = None,
    min_count: int = 5,
    min_dice: float = 0.3,
    identical_min_count: Optional[int] = None,
) -> Tuple[Pairs, Dict[str, int]]:
    """
    The co-occurrence pairs of the parallel file `parallel`, then its identical strings (see
    `allennlp elmo-dictionary --help`), and their numbers (`cooccurrence`, `identical`). A
    malformed file (see `check_parallel_file`) or one without any pair is a
    `ConfigurationError`.
    """
    check_parallel_file(parallel, columns)
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
    return pairs, {"cooccurrence": len(scored), "identical": len(pairs) - len(scored)}


def source_pairs(source: DictionarySource) -> Pairs:
    """The pairs of one dictionary file, inverted if it says so; `ConfigurationError` if bad."""
    if source.kind not in SOURCE_KINDS:
        raise ConfigurationError(
            f"unknown dictionary kind {source.kind!r} of {source.path}: one of "
            f"{', '.join(SOURCE_KINDS)}"
        )
    try:
        if source.kind == "freedict":
            pairs = read_freedict(*freedict_files(source.path))
        else:
            pairs = read_dictionary(source.path)
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    return inverted(pairs) if source.inverted else pairs


def build_dictionary(
    parallel: Optional[str] = None,
    columns: Tuple[int, int] = (0, 1),
    languages: Optional[Tuple[str, str]] = None,
    min_count: int = 5,
    min_dice: float = 0.3,
    identical_min_count: Optional[int] = None,
    sources: Sequence[DictionarySource] = (),
    lowercase: bool = False,
) -> Tuple[Pairs, Dict[str, int]]:
    """
    The merged pairs of `parallel` (see `parallel_pairs`) and then of `sources` in their order,
    each pair once (first occurrence kept), lowercased first with `lowercase`; and the number of
    pairs each input gave before merging: `cooccurrence` and `identical` for `parallel`, then
    each source's `label`. Every input is read (and checked) before anything is merged; no
    input at all is a `ConfigurationError`.
    """
    if parallel is None and not sources:
        raise ConfigurationError(
            "no input: give a parallel file, --freedict INDEX or --muse FILE (or several)"
        )
    dictionaries: List[Pairs] = []
    counts: Dict[str, int] = {}
    if parallel is not None:
        pairs, counts = parallel_pairs(
            parallel, columns, languages, min_count, min_dice, identical_min_count
        )
        dictionaries.append(pairs)
    for source in sources:
        pairs = source_pairs(source)
        counts[source.label] = len(pairs)
        dictionaries.append(pairs)
    if lowercase:
        dictionaries = [lowercased(pairs) for pairs in dictionaries]
    return merge_pairs(dictionaries), counts


def elmo_dictionary(
    parallel: Optional[str],
    output: str,
    columns: Tuple[int, int] = (0, 1),
    languages: Optional[Tuple[str, str]] = None,
    min_count: int = 5,
    min_dice: float = 0.3,
    identical_min_count: Optional[int] = None,
    sources: Sequence[DictionarySource] = (),
    lowercase: bool = False,
) -> Dict[str, int]:
    """
    Writes the merged dictionary of `parallel` and `sources` to `output` (see `build_dictionary`
    and `allennlp elmo-dictionary --help`), whole or not at all; returns the number of pairs
    each input gave.
    """
    pairs, counts = build_dictionary(
        parallel,
        columns,
        languages,
        min_count,
        min_dice,
        identical_min_count,
        sources,
        lowercase,
    )
    write_dictionary(output, pairs)
    return counts


def elmo_dictionary_from_args(args: argparse.Namespace) -> None:
    languages = parallel_languages_from_args(args) if args.parallel is not None else None
    pairs, counts = build_dictionary(
        args.parallel,
        tuple(args.columns),
        languages,
        args.min_count,
        args.min_dice,
        args.identical_min_count,
        args.sources,
        args.lowercase,
    )
    write_dictionary(args.output, pairs)
    if args.parallel is not None:
        print(
            f"{args.parallel}: {counts.pop('cooccurrence')} co-occurrence pairs and "
            f"{counts.pop('identical')} identical strings"
        )
    for label, count in counts.items():
        print(f"{label}: {count} pairs")
    lowercase = "lowercased, " if args.lowercase else ""
    print(f"{len(pairs)} pairs ({lowercase}without repeats) in {args.output}")
