"""
Word vectors in word2vec's text format, the format of MUSE, fastText and most alignment tools: a
header `<count> <dim>`, then one `word v1 ... vd` line per word, UTF-8, fields separated by spaces.
"""

from typing import List, NamedTuple, Sequence

import numpy

from allennlp_multilang_elmo.common.text_files import numbered_lines


class WordVectors(NamedTuple):
    words: List[str]
    """The words in file order (for anchors: most frequent first)."""
    vectors: numpy.ndarray
    """Shape `(len(words), dim)`, float64."""


def read_word_vectors(path: str) -> WordVectors:
    """
    Reads a word2vec text file and checks it: a header of two positive integers, then exactly
    that many rows of a word and `dim` finite numbers, no word twice. Raises `ValueError` naming
    the file and line of the first problem.
    """

    def error(line_number: int, problem: str) -> ValueError:
        return ValueError(f"{path}, line {line_number}: {problem}")

    words: List[str] = []
    rows: List[List[float]] = []
    seen = set()
    lines = numbered_lines(path)
    _, header = next(lines, (1, ""))
    try:
        count, dim = (int(field) for field in header.split())
        if count <= 0 or dim <= 0:
            raise ValueError
    except ValueError:
        raise error(1, f"expected a header '<count> <dim>' of two positive integers: {header!r}")
    for line_number, line in lines:
        fields = line.rstrip(" ").split(" ")
        if len(fields) != dim + 1:
            raise error(
                line_number,
                f"expected a word and {dim} numbers (the header's dimension), "
                f"found {len(fields)} fields",
            )
        word = fields[0]
        try:
            values = [float(field) for field in fields[1:]]
        except ValueError as value_error:
            raise error(line_number, f"the vector of {word!r} is not numbers ({value_error})")
        if not all(numpy.isfinite(values)):
            raise error(line_number, f"the vector of {word!r} contains NaN or infinity")
        if word in seen:
            raise error(line_number, f"the word {word!r} appears twice")
        seen.add(word)
        words.append(word)
        rows.append(values)
    if len(words) != count:
        raise error(1, f"the header announces {count} words, but the file has {len(words)}")
    return WordVectors(words, numpy.asarray(rows, dtype=numpy.float64))


def write_word_vectors(path: str, words: Sequence[str], vectors: numpy.ndarray) -> None:
    """
    Writes `words` and their `vectors` (shape `(len(words), dim)`) to `path` in word2vec text
    format, with 9 significant digits (float32 values read back exactly). Words must be non-empty
    and contain no whitespace, and vectors must be finite: the format cannot hold anything else.
    """
    vectors = numpy.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(f"{len(words)} words need vectors of shape ({len(words)}, dim)")
    if not numpy.isfinite(vectors).all():
        bad = words[int(numpy.flatnonzero(~numpy.isfinite(vectors).all(axis=1))[0])]
        raise ValueError(f"the vector of {bad!r} contains NaN or infinity; nothing written")
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        file.write(f"{len(words)} {vectors.shape[1]}\n")
        for word, vector in zip(words, vectors):
            if not word or word.split() != [word]:
                raise ValueError(f"the word {word!r} is empty or contains whitespace")
            file.write(word + " " + " ".join(f"{value:.9g}" for value in vector) + "\n")
