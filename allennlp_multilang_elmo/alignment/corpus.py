"""
Sentences of corpora for computing anchors: plain text (one sentence or paragraph per line, raw or
tokenised) or CoNLL-U (the FORM column). Problems are reported as `file, line N`.
"""

from typing import Iterator, List, Optional, Tuple

from allennlp.data import Tokenizer

from allennlp_multilang_elmo.common.conllu import (
    parse_sentence,
    read_span,
    scan_sentences,
    sentence_lines,
)
from allennlp_multilang_elmo.common.text_files import numbered_lines


def read_sentences(
    path: str, max_sentence_length: int, tokenizer: Optional[Tokenizer] = None
) -> Iterator[List[str]]:
    """
    The tokenised sentences of `path`: CoNLL-U if its name ends in `.conllu` (syntactic words only:
    multiword-token lines and empty nodes are skipped), otherwise plain text with one sentence per
    line (blank lines skipped), split by `tokenizer` (the `language_rules` tokenizer of the biLM's
    language, for raw text), or at whitespace without one. A sentence longer than
    `max_sentence_length` tokens, text that is not UTF-8 and malformed CoNLL-U lines raise
    `ValueError` naming the file and line.
    """
    if path.endswith(".conllu"):
        sentences = _conllu_sentences(path)
    else:
        sentences = _text_sentences(path, tokenizer)
    for line_number, words in sentences:
        if len(words) > max_sentence_length:
            raise ValueError(
                f"{path}, line {line_number}: a sentence of {len(words)} tokens, more than the "
                f"maximum of {max_sentence_length}; split it, or raise the maximum"
            )
        yield words


def _text_sentences(path: str, tokenizer: Optional[Tokenizer]) -> Iterator[Tuple[int, List[str]]]:
    for line_number, line in numbered_lines(path):
        if tokenizer is None:
            words = line.split()
        else:
            words = [str(token.text) for token in tokenizer.tokenize(line)]
        if words:
            yield line_number, words


def _conllu_sentences(path: str) -> Iterator[Tuple[int, List[str]]]:
    with open(path, "rb") as file:
        for span in scan_sentences(path, path):
            text = read_span(file, span)
            # A block of comments alone (e.g. a document's header) holds no sentence.
            if all(line.startswith("#") for line in sentence_lines(text)):
                continue
            yield span.line, parse_sentence(text, span, with_dependencies=False).words
