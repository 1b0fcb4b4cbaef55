"""
Bilingual dictionaries from FreeDict's dictd files (Debian's `dict-freedict-<xxx>-<yyy>`): the
single-word `(headword, translation)` pairs of every article, as MUSE-style seed pairs.

A dictd dictionary is two files. The `.index` has one line per article, `headword<TAB>offset<TAB>
length`, the numbers in dictd's base64 (digits `A-Za-z0-9+/`, most significant first: `A` = 0,
`BA` = 64), counting bytes of the uncompressed data; the data is a `.dict.dz` (dictzip, which is
gzip with a seek table: read here whole) or a plain `.dict`. A FreeDict article reads:

    abaisser /abɛse/ <v>
    1. cry down, cut up, demolish, pull to pieces, run down, write down
    2. abase
     [med.] a translation with a note, indented: skipped
       Synonyms: {...}

The headword is the first line up to its `/IPA/`, `(forms)` or `<part of speech>`; the
translations are the non-indented lines after it (indented ones are notes, synonyms, "see:" lists
and translations of a marked domain or register), split at `,` and `;`, without sense numbers
(`1.`), pronunciations (` /ˈati/`) and bracketed notes (`(...)`, `[...]`, `<...>`). Only single
words (letters, with `-` or `'` inside) are kept on either side, in the dictionary's case,
typographic hyphens (U+2010, U+2011) and apostrophes (U+2019) written as ASCII `-` and `'`: the
method that made `libreoffice-help/dict/*.tsv` in the shared data. From Debian's FreeDict
2022.04.21 it gives the very pairs of the shared fr-en and en-fr lists; from deu-eng the 230,021
of de-en and 121 more, which the shared list lost where it took the `/` of `shop/store` for the
start of a pronunciation.
"""

import gzip
import os
import re
import zlib
from typing import Dict, Iterator, List, Optional, Tuple

from allennlp_multilang_elmo.alignment.dictionary import Pairs
from allennlp_multilang_elmo.common.text_files import numbered_lines

BASE64_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_DIGIT_VALUES = {digit: value for value, digit in enumerate(BASE64_DIGITS)}

# The dictionary's own description (`00-database-info`, `00databaseurl`, ...), no articles.
_METADATA = re.compile(r"^0+-?database")
# Where the headword of an article's first line ends: its pronunciation, forms or grammar.
_HEADWORD_END = re.compile(r"\s+[/(<]")
_SENSE_NUMBER = re.compile(r"^\s*\d+\.(?=\s|$)")
# A pronunciation on a translation line (`NB,  /ˌɛnbˈeː/`), but not the `/` of `shop/store`.
_PRONUNCIATION = re.compile(r"(?<!\S)/[^/]*/(?=[\s,;]|$)")
_NOTES = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|<[^<>]*>")
# Letters, with single hyphens or apostrophes between them.
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
# Typographic hyphens and apostrophes (eng-fra writes `après‐midi` with U+2010) as ASCII ones.
_ASCII_PUNCTUATION = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2019": "'"})


def decode_base64_number(text: str) -> int:
    """The number that `text` writes in dictd's base64; `ValueError` if it is not one."""
    if not text:
        raise ValueError("an empty number")
    value = 0
    for digit in text:
        if digit not in _DIGIT_VALUES:
            raise ValueError(f"{digit!r} is no digit of dictd's base64 ({BASE64_DIGITS})")
        value = value * 64 + _DIGIT_VALUES[digit]
    return value


def encode_base64_number(value: int) -> str:
    """`value` (not negative) in dictd's base64, as `.index` files write offsets and lengths."""
    if value < 0:
        raise ValueError(f"a dictd number is not negative, not {value}")
    digits = BASE64_DIGITS[value % 64]
    while value >= 64:
        value //= 64
        digits = BASE64_DIGITS[value % 64] + digits
    return digits


def freedict_files(path: str) -> Tuple[str, str]:
    """
    The index and data file of the dictd dictionary that `path` names: its `.index`, its data
    file (`.dict.dz` or `.dict`) or their common stem (`/usr/share/dictd/freedict-fra-eng`). The
    data file is `name.dict.dz`, else `name.dict`, beside `name.index`. `ValueError` naming the
    files looked for when either is missing.
    """
    stem = path
    for suffix in (".index", ".dict.dz", ".dict"):
        if path.endswith(suffix):
            stem = path[: -len(suffix)]
            break
    index_path = f"{stem}.index"
    if not os.path.isfile(index_path):
        raise ValueError(f"the dictd index {index_path!r} (for {path!r}) does not exist")
    candidates = [f"{stem}.dict.dz", f"{stem}.dict"]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return index_path, candidate
    raise ValueError(
        f"the dictd index {index_path!r} has no data file beside it: neither "
        f"{candidates[0]!r} nor {candidates[1]!r} exists"
    )


def read_dictd_data(dict_path: str) -> bytes:
    """The uncompressed bytes of a dictd data file, dictzip (`.dict.dz`) or plain (`.dict`)."""
    if not os.path.isfile(dict_path):
        raise ValueError(f"the dictd data file {dict_path!r} does not exist")
    with open(dict_path, "rb") as file:
        data = file.read()
    if data[:2] != b"\x1f\x8b":  # not gzip, so a plain .dict
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{dict_path}: not a readable dictzip (gzip) file ({error})") from error


def dictd_articles(index_path: str, dict_path: str) -> Iterator[Tuple[int, str, str]]:
    """
    `(line_number, headword, article)` for every line of the dictd index `index_path`, in index
    order, the article's text read from `dict_path`, metadata entries (`00-database-*`) included.
    A line without three tab-separated fields, an offset or length that is not a base64 number,
    an article that ends past the end of the data or is not UTF-8 raise `ValueError` naming the
    index file and line.
    """
    if not os.path.isfile(index_path):
        raise ValueError(f"the dictd index {index_path!r} does not exist")
    data = read_dictd_data(dict_path)
    for line_number, line in numbered_lines(index_path):
        where = f"{index_path}, line {line_number}"
        fields = line.split("\t")
        if len(fields) != 3:
            raise ValueError(
                f"{where}: expected 'headword<TAB>offset<TAB>length', found {len(fields)} "
                f"tab-separated fields: {line!r}"
            )
        headword, offset_text, length_text = fields
        numbers = []
        for name, text in (("offset", offset_text), ("length", length_text)):
            try:
                numbers.append(decode_base64_number(text))
            except ValueError as error:
                raise ValueError(f"{where}: the {name} {text!r} is malformed: {error}") from None
        offset, length = numbers
        if offset + length > len(data):
            raise ValueError(
                f"{where}: the article of {headword!r} (offset {offset}, length {length}) ends "
                f"past the end of {dict_path} ({len(data)} bytes uncompressed); the index "
                "belongs to another data file"
            )
        try:
            article = data[offset : offset + length].decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(
                f"{where}: the article of {headword!r} in {dict_path} is not valid UTF-8 "
                f"({error}); the index belongs to another data file"
            ) from None
        yield line_number, headword, article


def article_headword(first_line: str) -> str:
    """The headword of an article's first line: the text before its `/IPA/`, `(forms)`, `<pos>`."""
    match = _HEADWORD_END.search(first_line)
    return (first_line[: match.start()] if match else first_line).strip()


def article_translations(lines: List[str]) -> List[str]:
    """
    The translations on the lines after an article's first: each non-indented line split at `,`
    and `;`, without sense numbers, pronunciations and bracketed notes, whitespace collapsed,
    empty pieces dropped.
    """
    translations = []
    for line in lines:
        if not line.strip() or line[0].isspace():
            continue
        text = _PRONUNCIATION.sub(" ", _SENSE_NUMBER.sub("", line))
        previous: Optional[str] = None
        while previous != text:  # innermost notes first, so that nested ones go too
            previous, text = text, _NOTES.sub(" ", text)
        for piece in re.split(r"[,;]", text):
            piece = " ".join(_SENSE_NUMBER.sub("", piece).split())
            if piece:
                translations.append(piece)
    return translations


def is_single_word(text: str) -> bool:
    """Whether `text` is one word: letters, with single `-` or `'` between them."""
    return _WORD.fullmatch(text) is not None


def article_pairs(article: str) -> Pairs:
    """The single-word `(headword, translation)` pairs of one FreeDict article, each once."""
    lines = article.translate(_ASCII_PUNCTUATION).split("\n")
    headword = article_headword(lines[0])
    if not is_single_word(headword):
        return []
    pairs: Dict[Tuple[str, str], None] = {}
    for translation in article_translations(lines[1:]):
        if is_single_word(translation):
            pairs[(headword, translation)] = None
    return list(pairs)


def read_freedict(index_path: str, dict_path: str) -> Pairs:
    """
    The single-word `(headword, translation)` pairs of the FreeDict dictd dictionary
    `index_path` + `dict_path` (see the module's description), in index order, each once,
    metadata entries skipped. A malformed index line (see `dictd_articles`) raises `ValueError`
    naming the index file and line; so does a dictionary without any single-word pair.
    """
    pairs: Dict[Tuple[str, str], None] = {}
    for _, headword, article in dictd_articles(index_path, dict_path):
        if _METADATA.match(headword.strip()):
            continue
        for pair in article_pairs(article):
            pairs[pair] = None
    if not pairs:
        raise ValueError(
            f"the FreeDict dictionary {index_path!r} ({dict_path}) holds no single-word pairs"
        )
    return list(pairs)
