"""
Bilingual dictionaries for learning alignments: MUSE's format (`source target` per line, a source
word may have several lines), or the identical strings of two vocabularies as a seed.
"""

import os
from typing import Dict, List, Sequence, Tuple

from allennlp_multilang_elmo.common.atomic_files import atomic_file
from allennlp_multilang_elmo.common.text_files import numbered_lines

Pairs = List[Tuple[str, str]]


def read_dictionary(path: str) -> Pairs:
    """
    The `(source, target)` pairs of a MUSE dictionary file, in file order, each once: two
    whitespace-separated words per line, blank lines skipped. Raises `ValueError` naming the file
    and line of a malformed line.
    """
    if not os.path.isfile(path):
        raise ValueError(f"the dictionary file {path!r} does not exist")
    pairs: Dict[Tuple[str, str], None] = {}
    for line_number, line in numbered_lines(path):
        fields = line.split()
        if not fields:
            continue
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


def write_dictionary(path: str, pairs: Pairs) -> None:
    """Writes `pairs` to `path` in MUSE's format (`source target` per line), whole or not at all."""
    for source, target in pairs:
        if source.split() != [source] or target.split() != [target]:
            raise ValueError(f"the pair {(source, target)!r} has an empty word or whitespace")
    with atomic_file(path) as temporary, open(temporary, "w", encoding="utf-8") as f:
        f.writelines(f"{source} {target}\n" for source, target in pairs)
