"""
Bilingual dictionaries for learning alignments: MUSE's format (`source target` per line, a source
word may have several lines) or the same pairs tab-separated (`source<TAB>target`, as the shared
`libreoffice-help/dict/*.tsv`), or the identical strings of two vocabularies as a seed; and the
operations that merge dictionaries of several sources into one.
"""

import os
from typing import Dict, List, Sequence, Tuple

from allennlp_multilang_elmo.common.atomic_files import atomic_file
from allennlp_multilang_elmo.common.text_files import numbered_lines

Pairs = List[Tuple[str, str]]


def read_dictionary(path: str) -> Pairs:
    """
    The `(source, target)` pairs of a dictionary file, in file order, each once: per line two
    whitespace-separated words (MUSE) or, on a line with a tab, two tab-separated fields
    (`source<TAB>target`); blank lines skipped. Raises `ValueError` naming the file and line of a
    malformed line. A tab-separated field with whitespace inside (`ice cream`) is refused, not
    skipped: a pair is two single words, as in MUSE's format, and a dictionary with multi-word
    entries should have them removed on purpose rather than lose them unnoticed.
    """
    if not os.path.isfile(path):
        raise ValueError(f"the dictionary file {path!r} does not exist")
    pairs: Dict[Tuple[str, str], None] = {}
    for line_number, line in numbered_lines(path):
        if not line.strip():
            continue
        if "\t" in line:
            fields = [field.strip() for field in line.split("\t")]
            if len(fields) != 2:
                raise ValueError(
                    f"{path}, line {line_number}: expected 'source<TAB>target', found "
                    f"{len(fields)} tab-separated fields: {line!r}"
                )
            for side, field in zip(("source", "target"), fields):
                if len(field.split()) != 1:
                    raise ValueError(
                        f"{path}, line {line_number}: the {side} {field!r} is not a single word; "
                        "a pair is two words without whitespace (remove multi-word entries)"
                    )
        else:
            fields = line.split()
            if len(fields) != 2:
                raise ValueError(
                    f"{path}, line {line_number}: expected 'source target', found {len(fields)} "
                    f"fields: {line!r}"
                )
        pairs[(fields[0], fields[1])] = None
    if not pairs:
        raise ValueError(f"the dictionary file {path!r} holds no pairs")
    return list(pairs)


def identical_strings(source_words: Sequence[str], target_words: Sequence[str]) -> Pairs:
    """`(word, word)` for every word in both vocabularies, in the source's order."""
    target = set(target_words)
    return [(word, word) for word in source_words if word in target]


def inverted(pairs: Pairs) -> Pairs:
    """`pairs` read in the other direction: `(target, source)` for each, in the same order."""
    return [(target, source) for source, target in pairs]


def lowercased(pairs: Pairs) -> Pairs:
    """`pairs` in lower case, each once (first occurrence order)."""
    return merge_pairs([[(source.lower(), target.lower()) for source, target in pairs]])


def merge_pairs(dictionaries: Sequence[Pairs]) -> Pairs:
    """The pairs of all `dictionaries`, each once, in order of first occurrence."""
    merged: Dict[Tuple[str, str], None] = {}
    for pairs in dictionaries:
        merged.update((pair, None) for pair in pairs)
    return list(merged)


def write_dictionary(path: str, pairs: Pairs) -> None:
    """Writes `pairs` to `path` in MUSE's format (`source target` per line), whole or not at all."""
    for source, target in pairs:
        if source.split() != [source] or target.split() != [target]:
            raise ValueError(f"the pair {(source, target)!r} has an empty word or whitespace")
    with atomic_file(path) as temporary, open(temporary, "w", encoding="utf-8") as f:
        f.writelines(f"{source} {target}\n" for source, target in pairs)
