"""
Sentences of raw corpora for computing anchors: plain text (one whitespace-tokenised sentence per
line) or CoNLL-U (the FORM column), found by path or glob. Problems are reported as `file, line N`.
"""

import glob
import os
from typing import Iterator, List, Sequence, Tuple

from conllu.exceptions import ParseException
from conllu.parser import DEFAULT_FIELD_PARSERS, DEFAULT_FIELDS, parse_line

from allennlp_multilang_elmo.alignment.text_files import numbered_lines
from allennlp_multilang_elmo.data.dataset_readers.conllu_sentences import read_span, scan_sentences

_ID_PARSER = {"id": DEFAULT_FIELD_PARSERS["id"]}


def corpus_files(patterns: Sequence[str]) -> List[str]:
    """
    The files that `patterns` (paths or globs, `**` included) name, each once, in the order given
    (the matches of one glob sorted). A pattern that matches no file is an error.
    """
    files: List[str] = []
    for pattern in patterns:
        matches = sorted(
            path for path in glob.glob(pattern, recursive=True) if os.path.isfile(path)
        )
        if not matches:
            raise ValueError(f"the corpus {pattern!r} matches no file")
        files.extend(path for path in matches if path not in files)
    return files


def read_sentences(path: str, max_sentence_length: int) -> Iterator[List[str]]:
    """
    The tokenised sentences of `path`: CoNLL-U if its name ends in `.conllu` (syntactic words only:
    multiword-token lines and empty nodes are skipped), otherwise plain text with one sentence per
    line (blank lines skipped). A sentence longer than `max_sentence_length` tokens, text that is
    not UTF-8 and malformed CoNLL-U lines raise `ValueError` naming the file and line.
    """
    sentences = _conllu_sentences(path) if path.endswith(".conllu") else _text_sentences(path)
    for line_number, words in sentences:
        if len(words) > max_sentence_length:
            raise ValueError(
                f"{path}, line {line_number}: a sentence of {len(words)} tokens, more than the "
                f"maximum of {max_sentence_length}; split it, or raise the maximum"
            )
        yield words


def _text_sentences(path: str) -> Iterator[Tuple[int, List[str]]]:
    for line_number, line in numbered_lines(path):
        words = line.split()
        if words:
            yield line_number, words


def _conllu_sentences(path: str) -> Iterator[Tuple[int, List[str]]]:
    with open(path, "rb") as file:
        for span in scan_sentences(path, path):
            words = []
            for line_number, line in enumerate(read_span(file, span).split("\n"), span.line):
                line = line.rstrip("\r")
                if not line or line.startswith("#"):
                    continue
                if len(line.split("\t")) != len(DEFAULT_FIELDS):
                    raise ValueError(
                        f"{path}, line {line_number}: expected {len(DEFAULT_FIELDS)} tab-separated "
                        f"columns: {line!r}"
                    )
                try:
                    token = parse_line(line, DEFAULT_FIELDS, _ID_PARSER)
                except ParseException as error:
                    raise ValueError(f"{path}, line {line_number}: {error}: {line!r}") from error
                # Ranges (multiword tokens) and decimals (empty nodes) are not syntactic words.
                if isinstance(token["id"], int):
                    words.append(token["form"])
            if words:
                yield span.line, words
