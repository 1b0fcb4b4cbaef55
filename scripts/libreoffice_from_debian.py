#!/usr/bin/env python
"""
Re-creates the shared LibreOffice-help data (`libreoffice-help/README.md` in the shared data:
running text in seven languages, paragraph-parallel pairs and FreeDict dictionaries) from the
Debian bookworm packages `libreoffice-help-<lang>` and `dict-freedict-<xxx>-<yyy>`:

    python scripts/libreoffice_from_debian.py --packages debs --download --output libreoffice-help

`--download` runs `apt-get download` for the packages into `--packages` first; without it the
folder holds them already, as `.deb` files (unpacked with `dpkg -x` into a temporary folder) or as
trees that `dpkg -x` made (`<folder>/<anything>/usr/...`). `--languages` chooses among de es fr it
pt sv; English is always read. pt is the Brazilian help (`libreoffice-help-pt-br`, folder `pt-BR`).

Into `--output` go, whole or not at all (other files there are left alone):
- `<lang>.txt`: running text, one unit a line. Only the page body (`<div id="DisplayArea">` up
  to `<footer>`) of `text/**/*.html` under `usr/share/libreoffice/help/<folder>/` is read, pages
  in path order; script, style, pre, code and nav elements and elements of class bascode, pycode,
  code, codeintable, smathcode, sqlcode, example or MAC are skipped. A unit is the text between
  two boundaries: the start or end of a block element (paragraph, heading, list item, table
  cell, div, ...), a `<br>`, an `<img>` (the help puts icons inside sentences: "Click the Clone
  Formatting icon" and ". After you apply ..." are two units, as in the shared files),
  whitespace collapsed. A unit is kept if it has at least 3 whitespace-separated words, at
  least half of them with a letter, and does not look like code (`looks_like_code`: Python
  prompts, banner and statements, Basic statements, calls, method signatures and assignments,
  and units of which more than a quarter of the characters other than whitespace are ASCII
  punctuation other than `!%^~&`, such as `=TRUNC(0.664,2) returns 0.66.`). A unit of another
  language is dropped when it is identical to an English unit with the same id, or to any kept
  English unit, or is English by a frequent-word test (`looks_english`). Then exact duplicates
  are dropped, the first kept.
- `parallel/en-<lang>.tsv`: for every kept unit of the other language, in its page order, whose
  page path and block id (LibreOffice keeps `par_id`/`hd_id` ids across translations) an English
  unit has: `English<TAB>translation` with the FIRST English unit of that page and id, if that
  one is running text. So the units of one id are not aligned one to one: the two halves of a
  paragraph cut by an icon are both paired with the first English half, and where a page embeds
  several sections under the same id (`lib_ScriptForge.html`) every translated one is paired with
  the first English one. This is how the shared files were made; exact duplicate pairs dropped.
- `dict/<lang>-en.tsv`, `dict/en-<lang>.tsv`: the single-word pairs of FreeDict `<xxx>-eng` and
  `eng-<xxx>` (`allennlp_multilang_elmo.alignment.freedict`), `source<TAB>target`, articles in
  the order of the `.dict.dz` data (not of the alphabetical `.index`), as in the shared files.
- `dict/<lang>-en.merged.tsv`: the `<lang>-en` pairs, those of one source word together (in the
  order in which source words first occur), then the `en-<lang>` pairs inverted, likewise grouped
  by their English word, that `<lang>-en` lacks. This is the order of the shared files.
- `dict/<lang>-en.lo-dice.tsv` (unless `--no-lo-dice`): in-domain pairs from the lowercased
  `parallel/en-<lang>.tsv` by the project's `allennlp elmo-dictionary` (co-occurrence: Dice >=
  0.3, >= 5 pairs of units together, mutual best partners), without pairs where a side has no
  letter, tab-separated, most confident first. Its tokenisation (the biLM reader's spaCy rules)
  is not the one of the shared lists, which it therefore does not reproduce (table below).
- `COPYRIGHT.libreoffice-help` and `dict/copyright/<package>`: the packages' Debian copyright
  files, where the packages hold them.

Reproducibility, measured against the shared files from the bookworm packages (help
4:7.4.7-1+deb12u14, FreeDict 2022.04.21-1); lines: shared / rebuilt / equal (as multisets) /
only shared / only rebuilt. `<lang>.txt`, `parallel/` and the FreeDict lists keep the shared
order of the equal lines; every shared line of them is rebuilt.

| file | lang | shared | rebuilt | equal | only shared | only rebuilt |
|---|---|---:|---:|---:|---:|---:|
| `en.txt` | en | 29,455 | 29,455 | 29,455 | 0 | 0 (byte-identical) |
| `<lang>.txt` | de | 28,447 | 28,523 | 28,447 | 0 | 76 |
| | es | 26,050 | 26,083 | 26,050 | 0 | 33 |
| | fr | 29,600 | 29,672 | 29,600 | 0 | 72 |
| | it | 30,130 | 30,210 | 30,130 | 0 | 80 |
| | pt | 30,577 | 30,630 | 30,577 | 0 | 53 |
| | sv | 14,723 | 14,808 | 14,723 | 0 | 85 |
| `parallel/en-<lang>.tsv` | de | 27,957 | 28,025 | 27,957 | 0 | 68 |
| | es | 24,342 | 24,375 | 24,342 | 0 | 33 |
| | fr | 27,742 | 27,799 | 27,742 | 0 | 57 |
| | it | 28,850 | 28,923 | 28,850 | 0 | 73 |
| | pt | 28,993 | 29,046 | 28,993 | 0 | 53 |
| | sv | 14,449 | 14,501 | 14,449 | 0 | 52 |
| `dict/en-<lang>.tsv` | all six | | | all | 0 | 0 (byte-identical) |
| `dict/<lang>-en.tsv` | es fr it pt sv | | | all | 0 | 0 (byte-identical) |
| | de | 230,021 | 230,142 | 230,021 | 0 | 121 |
| `dict/<lang>-en.merged.tsv` | es fr it pt sv | | | all | 0 | 0 (byte-identical) |
| | de | 274,436 | 274,475 | 274,436 | 0 | 39 (and 84 lines moved) |
| `dict/<lang>-en.lo-dice.tsv` | de | 2,093 | 2,014 | 1,933 | 160 | 81 |
| | es | 1,984 | 1,931 | 1,878 | 106 | 53 |
| | fr | 2,339 | 2,293 | 2,211 | 128 | 82 |
| | it | 2,223 | 2,188 | 2,108 | 115 | 80 |
| | pt | 2,501 | 2,469 | 2,384 | 117 | 85 |
| | sv | 1,255 | 1,215 | 1,183 | 72 | 32 |
| copyright files (13) | | | | identical | | |

- The lines only rebuilt in `<lang>.txt` (0.1 to 0.6 %) are units that the shared files' test
  for leftover English dropped and `looks_english` keeps: short units that mix English names
  with the language (`Anweisung Select Case`, `8 Array bereits dimensioniert`, `Vorlagen in
  Writer`, `<META NAME="KEYWORDS" CONTENT="Feldinhalt">`, `[text/...xhp#... not found].`); no
  word-list, vocabulary or overlap-with-the-English-unit rule that was tried separates them.
  The lines only rebuilt in `parallel/` are their pairs.
- `de-en`: the 121 more pairs are right (the shared list lost them where it took the `/` of
  `shop/store` for a pronunciation, see `freedict`); in `de-en.merged` they add 39 lines and move
  84 pairs from the inverted `en-de` part into the `de-en` part.
- `lo-dice`: 92 to 95 % of the shared pairs are rebuilt; order (by confidence) differs.
- The whole rebuild (seven help packages, twelve dictionaries, six `lo-dice` lists) took 2 min
  55 s with the packages already downloaded, 3 min 20 s with `--download` (42 MB), about 2 min
  of CPU, under `nice` on two cores busy with other work.

This is a maintenance tool: the package and its tests only read the files it wrote.
"""

import argparse
import collections
import glob
import os
import re
import shutil
import string
import subprocess
import tempfile
from html.parser import HTMLParser
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from allennlp.common.checks import ConfigurationError

from allennlp_multilang_elmo.alignment.dictionary import Pairs, read_dictionary
from allennlp_multilang_elmo.alignment.freedict import (
    article_pairs,
    decode_base64_number,
    dictd_articles,
)
from allennlp_multilang_elmo.commands.elmo_dictionary import elmo_dictionary
from allennlp_multilang_elmo.common.atomic_files import atomic_outputs
from allennlp_multilang_elmo.common.text_files import numbered_lines

# The help's language folder and Debian package of each language.
HELP = {
    "en": ("en-US", "libreoffice-help-en-us"),
    "de": ("de", "libreoffice-help-de"),
    "es": ("es", "libreoffice-help-es"),
    "fr": ("fr", "libreoffice-help-fr"),
    "it": ("it", "libreoffice-help-it"),
    "pt": ("pt-BR", "libreoffice-help-pt-br"),
    "sv": ("sv", "libreoffice-help-sv"),
}
# FreeDict's three-letter code of each language other than English.
FREEDICT = {"de": "deu", "es": "spa", "fr": "fra", "it": "ita", "pt": "por", "sv": "swe"}
LANGUAGES = tuple(FREEDICT)
HELP_ROOT = "usr/share/libreoffice/help"
DICTD_ROOT = "usr/share/dictd"

SKIPPED_TAGS = {"script", "style", "pre", "code", "nav"}
SKIPPED_CLASSES = {
    "bascode",
    "pycode",
    "code",
    "codeintable",
    "smathcode",
    "sqlcode",
    "example",
    "MAC",
}
# Elements whose start and end are unit boundaries (a `<br>` inside a paragraph is a space).
BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "caption",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "legend",
    "li",
    "main",
    "nav",
    "noscript",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
# Void elements that end a unit too: a line break, an image (an icon inside a sentence).
BREAK_TAGS = {"br", "img"}
VOID_TAGS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
}

_CODE = re.compile(
    r"^>>>(?:\s|$)|^\[GCC |^Type \"help\", \"copyright\""  # a Python prompt and banner
    r"|^(?:def|class) \w+.*:$|^import \w|^from [\w.]+ import "  # Python statements
    r"|^(?:Re)?Dim \w|^Const \w+ *=|^(?:(?:Private|Public) )?(?:Sub|Function)(?=\s|$)"
    r"|^End (?:Sub|Function|If|Select|With|Type)\b|^Exit (?:Sub|Function|For|Do)\b|^REM\b"
    r"|^If \S.* Then$|^For \w+ *= *.+ To\b|^For Each \w+ In\b|^Set \w+ *= "  # Basic statements
    r"|^\w+(?:\.\w+)+ *\(|^[\w.]+\(.*\): *\w+(?:\[[^\]]*\])?$"  # `svc.Method(arg: str): bool`
    r"|^[A-Za-z_]\w* *= *(?:[\w.]+ *\(|[\'\"])"  # an assignment of a call or a string
)
# The ASCII punctuation that makes a unit look like code where it is more than a quarter of the
# unit's characters other than whitespace (`=TRUNC(0.664,2) returns 0.66.`).
_CODE_PUNCTUATION = frozenset(set(string.punctuation) - set("!%^~&"))
_LETTER = re.compile(r"[^\W\d_]")
_WORDS = re.compile(r"[^\W\d_]+")
# Frequent English words that are no (frequent) words of de, es, fr, it, pt or sv.
ENGLISH_WORDS = {
    "and",
    "are",
    "be",
    "by",
    "can",
    "each",
    "following",
    "for",
    "from",
    "have",
    "how",
    "if",
    "into",
    "is",
    "it",
    "must",
    "not",
    "of",
    "only",
    "other",
    "should",
    "that",
    "the",
    "then",
    "there",
    "these",
    "this",
    "to",
    "what",
    "when",
    "where",
    "which",
    "with",
    "you",
    "your",
}


class Unit(NamedTuple):
    """A unit of running text: its page (path below the language folder), block id and text."""

    page: str
    id: Optional[str]
    text: str


class PageBodyParser(HTMLParser):
    """
    Collects the `(id, text)` units of one help page's body (see the module's description); `id`
    is the id of the innermost block element around the unit, `None` where there is none.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.units: List[Tuple[Optional[str], str]] = []
        self._state = "before"  # "body" from `<div id="DisplayArea">`, then "after"
        # The open elements of the body, DisplayArea first: (tag, block id, skipped).
        self._open: List[Tuple[str, Optional[str], bool]] = []
        self._skipped = 0
        self._text: List[str] = []
        self._id: Optional[str] = None

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        attributes = dict(attrs)
        if self._state == "before":
            if tag == "div" and attributes.get("id") == "DisplayArea":
                self._state = "body"
                self._open = [(tag, None, False)]
            return
        if self._state != "body":
            return
        if tag == "footer":
            self._flush()
            self._state = "after"
            return
        if tag in BLOCK_TAGS or tag in BREAK_TAGS:
            self._flush()
        if tag in VOID_TAGS:
            return
        classes = set((attributes.get("class") or "").split())
        skipped = tag in SKIPPED_TAGS or bool(classes & SKIPPED_CLASSES)
        block_id = attributes.get("id") if tag in BLOCK_TAGS else None
        self._open.append((tag, block_id, skipped))
        self._skipped += skipped

    def handle_endtag(self, tag: str) -> None:
        if self._state != "body":
            return
        if tag in BLOCK_TAGS:
            self._flush()
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:  # closes it and whatever was left open inside
                self._skipped -= sum(skipped for _, _, skipped in self._open[index:])
                del self._open[index:]
                break
        if not self._open:  # DisplayArea closed without a footer
            self._state = "after"

    def handle_data(self, data: str) -> None:
        if self._state != "body" or self._skipped:
            return
        if data.strip() and not "".join(self._text).strip():
            self._id = next((i for _, i, _ in reversed(self._open) if i), None)
        self._text.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        text = " ".join("".join(self._text).split())
        if text:
            self.units.append((self._id, text))
        self._text = []
        self._id = None


def page_units(html: str) -> List[Tuple[Optional[str], str]]:
    """The `(id, text)` units of a help page's body, in page order, none filtered out."""
    parser = PageBodyParser()
    parser.feed(html)
    parser.close()
    return parser.units


def read_help(folder: str) -> List[Unit]:
    """The units of every page `text/**/*.html` of a help language folder, pages in path order."""
    pattern = os.path.join(folder, "text", "**", "*.html")
    pages = sorted(os.path.relpath(path, folder) for path in glob.glob(pattern, recursive=True))
    if not pages:
        raise ValueError(f"the help folder {folder!r} has no pages text/**/*.html")
    units: List[Unit] = []
    for page in pages:
        path = os.path.join(folder, page)
        with open(path, "rb") as file:
            data = file.read()
        try:
            html = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{path}: not valid UTF-8 ({error})") from error
        page = page.replace(os.sep, "/")
        units.extend(Unit(page, unit_id, text) for unit_id, text in page_units(html))
    return units


def looks_like_code(text: str) -> bool:
    """
    Whether a unit looks like code: a Python prompt, banner or statement, a Basic statement, a
    call, a method's signature or an assignment (`_CODE`), or more than a quarter of its
    characters other than whitespace ASCII punctuation other than `!%^~&` (formula examples
    such as `=TRUNC(0.664,2) returns 0.66.`, unit lists such as `"GRT" ; "regton"`): the rules
    that reproduce which units the shared files kept.
    """
    if _CODE.search(text) is not None:
        return True
    characters = sum(1 for character in text if not character.isspace())
    punctuation = sum(1 for character in text if character in _CODE_PUNCTUATION)
    return 4 * punctuation > characters


def is_running_text(text: str) -> bool:
    """At least 3 whitespace words, at least half of them with a letter, and no code."""
    words = text.split()
    with_letter = sum(1 for word in words if _LETTER.search(word))
    return len(words) >= 3 and 2 * with_letter >= len(words) and not looks_like_code(text)


def looks_english(text: str) -> bool:
    """At least 3 words, and a fifth of the words, are frequent English words (`ENGLISH_WORDS`)."""
    words = _WORDS.findall(text.lower())
    hits = sum(1 for word in words if word in ENGLISH_WORDS)
    return hits >= 3 and 5 * hits >= len(words)


def by_key(units: Iterable[Unit]) -> Dict[Tuple[str, str], List[Unit]]:
    """The units that have an id, by `(page, id)`, in page order."""
    keyed: Dict[Tuple[str, str], List[Unit]] = collections.defaultdict(list)
    for unit in units:
        if unit.id is not None:
            keyed[(unit.page, unit.id)].append(unit)
    return keyed


def translated_units(units: Sequence[Unit], english: Sequence[Unit]) -> List[Unit]:
    """
    The running-text units of a language other than English, without those left untranslated:
    identical to the English unit with the same id or to any English running-text unit, or
    English by `looks_english`.
    """
    english_keyed = by_key(english)
    english_lines = {unit.text for unit in english if is_running_text(unit.text)}
    kept = []
    for unit in units:
        if not is_running_text(unit.text) or unit.text in english_lines:
            continue
        same_id = english_keyed.get((unit.page, unit.id), []) if unit.id is not None else []
        if any(other.text == unit.text for other in same_id) or looks_english(unit.text):
            continue
        kept.append(unit)
    return kept


def parallel_pairs(english: Sequence[Unit], kept: Sequence[Unit]) -> List[Tuple[str, str]]:
    """
    `(english, translation)` for every unit of `kept` (the kept units of another language, in
    page order) whose page and id an English unit has: the first English unit of that page and
    id, where it is running text. Several units of one id (a paragraph that an image or a line
    break cuts, or sections that pages embed under the same id) are each paired with that first
    English unit, as the shared files do. Each pair once, first occurrence kept.
    """
    first: Dict[Tuple[str, str], Unit] = {}
    for unit in english:
        if unit.id is not None:
            first.setdefault((unit.page, unit.id), unit)
    pairs: Dict[Tuple[str, str], None] = {}
    for unit in kept:
        source = first.get((unit.page, unit.id)) if unit.id is not None else None
        if source is not None and is_running_text(source.text):
            pairs[(source.text, unit.text)] = None
    return list(pairs)


def unique(lines: Iterable[str]) -> List[str]:
    """`lines` without exact duplicates, the first of each kept."""
    return list(dict.fromkeys(lines))


# A FreeDict entry that describes the dictionary (`00-database-info`, ...), as `freedict` skips.
_FREEDICT_METADATA = re.compile(r"^0+-?database")


def freedict_pairs(index_path: str, dict_path: str) -> Pairs:
    """
    The single-word pairs of a FreeDict dictionary as `read_freedict` reads them (the same
    articles, checks and pairs), but with the articles in the order of the data file rather than
    of the index: the order of the shared lists. Each pair once, first occurrence kept.
    """
    articles = list(dictd_articles(index_path, dict_path))  # checks every index line
    offsets = {
        number: decode_base64_number(line.split("\t")[1])
        for number, line in numbered_lines(index_path)
    }
    articles.sort(key=lambda article: (offsets[article[0]], article[0]))
    pairs: Dict[Tuple[str, str], None] = {}
    for _, headword, article in articles:
        if not _FREEDICT_METADATA.match(headword.strip()):
            pairs.update(dict.fromkeys(article_pairs(article)))
    if not pairs:
        raise ValueError(
            f"the FreeDict dictionary {index_path!r} ({dict_path}) holds no single-word pairs"
        )
    return list(pairs)


def grouped(pairs: Pairs) -> Pairs:
    """`pairs` with those of one source word together, source words in first-occurrence order."""
    targets: Dict[str, Dict[str, None]] = {}
    for source, target in pairs:
        targets.setdefault(source, {})[target] = None
    return [(source, target) for source, words in targets.items() for target in words]


def merged_dictionary(foreign_english: Pairs, english_foreign: Pairs) -> Pairs:
    """`<lang>-en` grouped by source word, then the grouped `en-<lang>` pairs inverted it lacks."""
    merged = dict.fromkeys(grouped(foreign_english))
    for english, foreign in grouped(english_foreign):
        merged.setdefault((foreign, english), None)
    return list(merged)


def debian_packages(languages: Sequence[str]) -> List[str]:
    """The Debian packages the data of `languages` (and English) is made from."""
    packages = [HELP["en"][1]] + [HELP[language][1] for language in languages]
    for language in languages:
        code = FREEDICT[language]
        packages += [f"dict-freedict-{code}-eng", f"dict-freedict-eng-{code}"]
    return packages


def download(packages: Sequence[str], folder: str) -> None:
    """`apt-get download` of `packages` into `folder`."""
    os.makedirs(folder, exist_ok=True)
    subprocess.run(["apt-get", "download", *packages], cwd=folder, check=True)


def package_trees(folder: str, scratch: str) -> List[str]:
    """
    The unpacked package trees of `folder`: every `.deb` in it, unpacked by `dpkg -x` into a
    folder of `scratch`, its subfolders that hold a `usr` folder, and itself if it holds one.
    """
    if not os.path.isdir(folder):
        raise ValueError(f"the package folder {folder!r} does not exist")
    trees = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.endswith(".deb") and os.path.isfile(path):
            tree = os.path.join(scratch, name[: -len(".deb")])
            os.makedirs(tree, exist_ok=True)
            try:
                subprocess.run(["dpkg", "-x", path, tree], check=True, capture_output=True)
            except subprocess.CalledProcessError as error:
                raise ValueError(
                    f"{path}: dpkg -x failed ({error.stderr.decode(errors='replace').strip()})"
                ) from None
            trees.append(tree)
        elif os.path.isdir(os.path.join(path, "usr")):
            trees.append(path)
    if os.path.isdir(os.path.join(folder, "usr")):
        trees.append(folder)
    return trees


def find_in_trees(trees: Sequence[str], relative: str) -> Optional[str]:
    """`relative` in the first tree that has it, `None` if none has."""
    for tree in trees:
        path = os.path.join(tree, relative)
        if os.path.exists(path):
            return path
    return None


def require(trees: Sequence[str], relative: str, package: str, folder: str) -> str:
    """`relative` in the first tree that has it; `ValueError` naming the package to add if none."""
    path = find_in_trees(trees, relative)
    if path is None:
        raise ValueError(
            f"no {relative} in the packages of {folder!r}: add {package}'s .deb (apt-get "
            f"download {package}) or its unpacked tree, or run with --download"
        )
    return path


def copyright_files(trees: Sequence[str], languages: Sequence[str]) -> Dict[str, Optional[str]]:
    """
    The Debian copyright file to copy to each output name, `None` where the packages hold none:
    `COPYRIGHT.libreoffice-help` from the first help package that has one (or from
    `libreoffice-common`, where the help packages link their documentation), and
    `dict/copyright/<package>` from each FreeDict package.
    """
    help_packages = [HELP["en"][1]] + [HELP[language][1] for language in languages]
    help_copyright = None
    for package in help_packages + ["libreoffice-help-common", "libreoffice-common"]:
        help_copyright = help_copyright or find_in_trees(
            trees, f"usr/share/doc/{package}/copyright"
        )
    copyrights = {"COPYRIGHT.libreoffice-help": help_copyright}
    for package in debian_packages(languages):
        if package.startswith("dict-freedict-"):
            copyrights[os.path.join("dict", "copyright", package)] = find_in_trees(
                trees, f"usr/share/doc/{package}/copyright"
            )
    return copyrights


def lo_dice_pairs(
    pairs: Sequence[Tuple[str, str]],
    language: str,
    scratch: str,
    min_count: int,
    min_dice: float,
) -> Pairs:
    """`<lang>-en` pairs of the lowercased parallel `pairs` by `elmo_dictionary`, with letters."""
    parallel = os.path.join(scratch, f"en-{language}.lowercased.tsv")
    with open(parallel, "w", encoding="utf-8") as out:
        out.writelines(f"{english.lower()}\t{other.lower()}\n" for english, other in pairs)
    output = os.path.join(scratch, f"{language}-en.lo-dice.txt")
    try:
        elmo_dictionary(parallel, output, (1, 0), (language, "en"), min_count, min_dice)
    except ConfigurationError as error:
        raise ValueError(
            f"dict/{language}-en.lo-dice.tsv from parallel/en-{language}.tsv ({len(pairs)} "
            f"pairs): {error}; or run with --no-lo-dice"
        ) from None
    return [
        (source, target)
        for source, target in read_dictionary(output)
        if _LETTER.search(source) and _LETTER.search(target)
    ]


class Inputs(NamedTuple):
    """Where the files of one run are: help folders and dictionaries by name, copyright files."""

    help_folders: Dict[str, str]
    dictionaries: Dict[str, Tuple[str, str]]
    copyrights: Dict[str, Optional[str]]


def find_inputs(trees: Sequence[str], languages: Sequence[str], folder: str) -> Inputs:
    """
    The help folder of English and each language, the dictd index and data of each FreeDict
    dictionary (`deu-eng`, ...) and the copyright files; `ValueError` naming a missing one.
    """
    help_folders = {}
    for language in ["en"] + list(languages):
        name, package = HELP[language]
        text = require(trees, f"{HELP_ROOT}/{name}/text", package, folder)
        help_folders[language] = os.path.dirname(text)
    dictionaries = {}
    for language in languages:
        for name in (f"{FREEDICT[language]}-eng", f"eng-{FREEDICT[language]}"):
            package = f"dict-freedict-{name}"
            index, data = (
                require(trees, f"{DICTD_ROOT}/freedict-{name}.{suffix}", package, folder)
                for suffix in ("index", "dict.dz")
            )
            dictionaries[name] = (index, data)
    return Inputs(help_folders, dictionaries, copyright_files(trees, languages))


def build_files(
    inputs: Inputs,
    languages: Sequence[str],
    scratch: str,
    lo_dice: bool = True,
    min_count: int = 5,
    min_dice: float = 0.3,
) -> Dict[str, List[str]]:
    """The lines of every data file, by its path below the output folder."""
    english = read_help(inputs.help_folders["en"])
    files = {"en.txt": unique(unit.text for unit in english if is_running_text(unit.text))}
    for language in languages:
        units = read_help(inputs.help_folders[language])
        kept = translated_units(units, english)
        files[f"{language}.txt"] = unique(unit.text for unit in kept)
        parallel = parallel_pairs(english, kept)
        code = FREEDICT[language]
        foreign_english = freedict_pairs(*inputs.dictionaries[f"{code}-eng"])
        english_foreign = freedict_pairs(*inputs.dictionaries[f"eng-{code}"])
        pairs = {
            f"parallel/en-{language}.tsv": parallel,
            f"dict/{language}-en.tsv": foreign_english,
            f"dict/en-{language}.tsv": english_foreign,
            f"dict/{language}-en.merged.tsv": merged_dictionary(foreign_english, english_foreign),
        }
        if lo_dice:
            pairs[f"dict/{language}-en.lo-dice.tsv"] = lo_dice_pairs(
                parallel, language, scratch, min_count, min_dice
            )
        for name, file_pairs in pairs.items():
            files[name] = [f"{source}\t{target}" for source, target in file_pairs]
    return files


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--packages", required=True, help="folder of the .deb files or their unpacked trees"
    )
    parser.add_argument("--output", required=True, help="folder for the data files")
    parser.add_argument(
        "--download", action="store_true", help="apt-get download the packages into --packages"
    )
    parser.add_argument(
        "--languages",
        nargs="+",
        choices=LANGUAGES,
        default=list(LANGUAGES),
        help="languages besides English",
    )
    parser.add_argument("--no-lo-dice", action="store_true", help="skip the lo-dice lists")
    parser.add_argument("--min-count", type=int, default=5, help="lo-dice: least pairs together")
    parser.add_argument("--min-dice", type=float, default=0.3, help="lo-dice: least Dice")
    args = parser.parse_args(argv)
    languages = unique(args.languages)
    if args.download:
        download(debian_packages(languages), args.packages)
    with tempfile.TemporaryDirectory() as scratch:
        trees = package_trees(args.packages, os.path.join(scratch, "packages"))
        inputs = find_inputs(trees, languages, args.packages)  # all found before the long work
        files = build_files(
            inputs, languages, scratch, not args.no_lo_dice, args.min_count, args.min_dice
        )
        with atomic_outputs() as outputs:
            for name, lines in files.items():
                path = os.path.join(args.output, name)
                with open(outputs.path(path), "w", encoding="utf-8", newline="\n") as out:
                    out.writelines(line + "\n" for line in lines)
                print(f"{path}: {len(lines)} lines")
            for name, source in inputs.copyrights.items():
                if source is None:
                    print(f"note: no Debian copyright file for {name} in the packages; not written")
                else:
                    shutil.copyfile(source, outputs.path(os.path.join(args.output, name)))


if __name__ == "__main__":
    main()
