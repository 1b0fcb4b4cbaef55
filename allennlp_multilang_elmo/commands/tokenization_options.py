"""
How a command that reads plain text learns its tokenisation: `--language LANG` (raw text, split by
the `language_rules` tokenizer for LANG, as the biLM reader split the biLM's training text) or
`--tokenized` (one token per space-separated string); for a parallel file, `--languages SOURCE
TARGET` or `--tokenized`, with `--columns`. Neither is a default: text split one way and looked
up in a biLM trained on text split another way silently loses words.
"""

import argparse
from typing import Optional, Tuple

from allennlp.common.checks import ConfigurationError

from allennlp_multilang_elmo.data.tokenizers.language_rules_tokenizer import (
    LanguageRulesTokenizer,
)


def add_tokenization_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--language",
        default=None,
        help="the text's language: raw text is tokenised by its rules, as the biLM reader "
        "(bilm_text) tokenises the biLM's training text",
    )
    group.add_argument(
        "--tokenized",
        action="store_true",
        help="the text is already tokenised: one token per space-separated string",
    )


def tokenizer_from_args(
    args: argparse.Namespace, needed: bool = True
) -> Optional[LanguageRulesTokenizer]:
    """
    The tokenizer `--language`/`--tokenized` ask for; `None` for `--tokenized`. With neither,
    raises `ConfigurationError` if `needed` (some input is plain text), else returns `None`.
    """
    if args.language is not None:
        return LanguageRulesTokenizer(args.language)
    if not args.tokenized and needed:
        raise ConfigurationError(
            "plain text needs its tokenisation: --language LANG (raw text, split as the biLM's "
            "training text was) or --tokenized (one token per space-separated string)"
        )
    return None


def add_parallel_text_options(parser: argparse.ArgumentParser) -> None:
    """`--columns SOURCE TARGET` and the tokenisation of a tab-separated PARALLEL file."""
    parser.add_argument(
        "--columns",
        type=int,
        nargs=2,
        default=(0, 1),
        metavar=("SOURCE", "TARGET"),
        help="the 0-based columns of PARALLEL's source and target text",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--languages",
        nargs=2,
        default=None,
        metavar=("SOURCE", "TARGET"),
        help="PARALLEL's languages: raw text is tokenised by their rules, as the biLM "
        "reader (bilm_text) tokenises the biLMs' training text",
    )
    group.add_argument(
        "--tokenized",
        action="store_true",
        help="PARALLEL is already tokenised: one token per space-separated string",
    )


def parallel_languages_from_args(args: argparse.Namespace) -> Optional[Tuple[str, str]]:
    """
    The `(source, target)` languages whose rules split PARALLEL, or `None` for `--tokenized`;
    with neither, a `ConfigurationError`.
    """
    if args.languages is None and not args.tokenized:
        raise ConfigurationError(
            "PARALLEL needs its tokenisation: --languages SOURCE TARGET (raw text, split as the "
            "biLMs' training text was) or --tokenized (one token per space-separated string)"
        )
    return tuple(args.languages) if args.languages else None
