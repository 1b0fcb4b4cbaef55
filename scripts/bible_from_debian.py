#!/usr/bin/env python
"""
Re-creates the verse-aligned English-Spanish Bible (`parallel_en_es.tsv`) from Debian's SWORD
modules, as described in `data/bible-en-es/README.md`:

    apt-get install diatheke sword-text-web sword-text-sparv
    python scripts/bible_from_debian.py --output parallel_en_es.tsv
    python scripts/split_bible.py --source parallel_en_es.tsv --target data/bible-en-es

Each module is exported with `diatheke -b MODULE -f plain -k "Gen 1:1-Rev 22:21"`. The export has
one `<Book> <chapter>:<verse>: text` line per verse; further lines continue the previous verse, and
lines in parentheses are headings (or the module's name at the end). Verses are paired by
reference, in the English module's order; a verse missing or empty in either module is dropped.

This is a maintenance tool: the package and its tests only read the files in `data/bible-en-es/`.
"""

import argparse
import re
import subprocess
from typing import Dict, Iterable, List

from allennlp_multilang_elmo.common.atomic_files import atomic_file

MODULES = {"en": "engWEB2015eb", "es": "spaRV1909eb"}
RANGE = "Gen 1:1-Rev 22:21"
_VERSE = re.compile(r"^(?P<reference>.+? \d+:\d+): ?(?P<text>.*)$")


def parse_export(lines: Iterable[str]) -> Dict[str, str]:
    """The text of every verse of a `diatheke -f plain` export, by reference, in export order."""
    verses: Dict[str, List[str]] = {}
    current = None
    for line in lines:
        line = line.strip()
        if not line or (line.startswith("(") and line.endswith(")")):
            continue
        match = _VERSE.match(line)
        if match:
            current = match.group("reference")
            verses[current] = [match.group("text").strip()]
        elif current is not None:
            verses[current].append(line)
    return {
        reference: " ".join(part for part in parts if part) for reference, parts in verses.items()
    }


def export_module(module: str) -> Dict[str, str]:
    """Runs diatheke on one installed SWORD module and parses its output."""
    output = subprocess.run(
        ["diatheke", "-b", module, "-f", "plain", "-k", RANGE],
        check=True,
        capture_output=True,
        text=True,
        encoding="utf-8",
    ).stdout
    return parse_export(output.split("\n"))


def pair_verses(english: Dict[str, str], spanish: Dict[str, str]) -> List[str]:
    """`reference TAB english TAB spanish` lines for the verses both modules have text for."""
    return [
        f"{reference}\t{text}\t{spanish[reference]}"
        for reference, text in english.items()
        if text and spanish.get(reference)
    ]


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", required=True, help="the parallel TSV file to write")
    args = parser.parse_args(argv)
    lines = pair_verses(export_module(MODULES["en"]), export_module(MODULES["es"]))
    with atomic_file(args.output) as temporary, open(temporary, "w", encoding="utf-8") as out:
        out.writelines(line + "\n" for line in lines)
    print(f"{len(lines)} verse pairs written to {args.output}")


if __name__ == "__main__":
    main()
