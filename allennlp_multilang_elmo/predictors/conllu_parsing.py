"""
Parses CoNLL-U files or raw text (one sentence per line) with a `biaffine_parser_multilang`
predictor and writes CoNLL-U: what `allennlp parse` does.

CoNLL-U input passes through unchanged except for the columns the parser predicts: every comment
line, multiword-token line (`1-2`) and empty node (`1.1`) stays as it is, and each word's HEAD and
DEPREL are filled in, and its UPOS where the input has none (`_`) and the model has a POS tagger.
Raw text is tokenised by the predictor (spaCy's rules for the language) and written with
`# sent_id` and `# text` comments, `SpaceAfter=No` where the text has no space after a token, and
the tagger's UPOS.

The output is written to a temporary file beside `output_file` and renamed when complete, so a
failure (bad input, interruption) never leaves a partial file.
"""

import logging
import os
import re
import tempfile
import time
from typing import IO, Iterator, List, NamedTuple, Optional, Sequence

from allennlp.common.checks import ConfigurationError
from allennlp.common.tqdm import Tqdm

from allennlp_multilang_elmo.predictors.biaffine_dependency_parser_multilang import (
    MISSING_POS,
    BiaffineDependencyParserMultiLangPredictor,
)

logger = logging.getLogger(__name__)

INPUT_FORMATS = ("conllu", "text")
_COLUMNS = 10
_ID, _FORM, _UPOS, _HEAD, _DEPREL = 0, 1, 3, 6, 7
_WORD_ID = re.compile(r"^[1-9][0-9]*$")


class Sentence(NamedTuple):
    lines: List[str]
    """The sentence's lines as read (without line ends); for text input, as they will be written."""
    word_lines: List[int]
    """Which of `lines` are words (not comments, multiword tokens or empty nodes)."""
    where: str
    """`file, line N` of the sentence's first line, for messages."""


class ParseSummary(NamedTuple):
    sentences: int
    tokens: int
    seconds: float

    def __str__(self) -> str:
        rate = self.tokens / self.seconds if self.seconds > 0 else float("inf")
        return (
            f"parsed {self.sentences} sentences, {self.tokens} tokens "
            f"in {self.seconds:.1f} s ({rate:.0f} tokens/s)"
        )


def parse_files(
    predictor: BiaffineDependencyParserMultiLangPredictor,
    input_files: Sequence[str],
    output_file: str,
    language: Optional[str] = None,
    input_format: str = "conllu",
    batch_size: int = 32,
) -> ParseSummary:
    """
    Parses `input_files` (in this order) into one CoNLL-U `output_file`. The language is
    `language`, or else each file's, from its name as `universal_dependencies_multilang` tells it.
    Raises `ConfigurationError` naming the file (and line) of bad input, before anything is written.
    """
    if input_format not in INPUT_FORMATS:
        raise ConfigurationError(f"input format {input_format!r}: use one of {INPUT_FORMATS}")
    if batch_size < 1:
        raise ConfigurationError(f"batch size must be at least 1, not {batch_size}")
    known = predictor.languages
    if language is not None and known is not None and language not in known:
        raise ConfigurationError(
            f"--lang {language!r} is not one of the model's languages ({', '.join(known)})"
        )
    # Everything is read and checked before the model runs or anything is written.
    documents = [
        (_language(predictor, path, language), _read(path, input_format)) for path in input_files
    ]
    total = sum(len(sentences) for _, sentences in documents)
    started = time.perf_counter()
    tokens = 0
    directory = os.path.dirname(os.path.abspath(output_file))
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=directory, prefix=".parse-", suffix=".tmp", delete=False
    ) as temporary:
        try:
            with Tqdm.tqdm(total=total, desc="parsing", unit=" sentences") as progress:
                for document_language, sentences in documents:
                    for start in range(0, len(sentences), batch_size):
                        batch = sentences[start : start + batch_size]
                        tokens += _parse_batch(predictor, document_language, batch, temporary)
                        progress.update(len(batch))
            temporary.close()
            os.replace(temporary.name, output_file)
        except BaseException:
            temporary.close()
            os.unlink(temporary.name)
            raise
    return ParseSummary(total, tokens, time.perf_counter() - started)


def _language(
    predictor: BiaffineDependencyParserMultiLangPredictor, path: str, language: Optional[str]
) -> str:
    if language is not None:
        return language
    reader = predictor._dataset_reader
    try:
        from_name = reader._language_of(path)
    except (AttributeError, ConfigurationError):
        raise ConfigurationError(
            f"{path}: cannot tell its language from the file name; pass --lang"
        ) from None
    known = predictor.languages
    if known is not None and from_name not in known:
        raise ConfigurationError(
            f"{path}: its name gives language {from_name!r}, which the model does not have "
            f"({', '.join(known)}); pass --lang"
        )
    return from_name


def _read(path: str, input_format: str) -> List["Sentence"]:
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise ConfigurationError(f"{path}: cannot read it ({error.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigurationError(f"{path}, line {line}: not valid UTF-8 ({error.reason})") from None
    lines = text.lstrip("\ufeff").splitlines()
    sentences = list(_conllu_sentences(path, lines) if input_format == "conllu" else _text(lines))
    if not sentences:
        raise ConfigurationError(f"{path}: no sentences to parse (the file is empty or blank)")
    return sentences


def _conllu_sentences(path: str, lines: List[str]) -> Iterator[Sentence]:
    block: List[str] = []
    first = 0
    for number, line in enumerate(lines + [""], 1):
        if line.strip():
            if not block:
                first = number
            block.append(line)
            continue
        if block:
            yield _conllu_sentence(path, first, block)
            block = []


def _conllu_sentence(path: str, first: int, block: List[str]) -> Sentence:
    word_lines: List[int] = []
    for offset, line in enumerate(block):
        if line.startswith("#"):
            continue
        columns = line.split("\t")
        where = f"{path}, line {first + offset}"
        if len(columns) != _COLUMNS:
            hint = "" if "\t" in line else " (raw text? pass --input-format text)"
            raise ConfigurationError(
                f"{where}: expected {_COLUMNS} tab-separated columns, found {len(columns)}{hint}"
            )
        if _WORD_ID.match(columns[_ID]):
            if int(columns[_ID]) != len(word_lines) + 1:
                raise ConfigurationError(
                    f"{where}: word ids must run 1, 2, 3, ...; found {columns[_ID]} "
                    f"after {len(word_lines)}"
                )
            if not columns[_FORM] or columns[_FORM].isspace():
                raise ConfigurationError(f"{where}: word {columns[_ID]} has an empty FORM")
            word_lines.append(offset)
        elif not re.match(r"^[1-9][0-9]*(-[1-9][0-9]*|\.[1-9][0-9]*)$", columns[_ID]):
            raise ConfigurationError(f"{where}: {columns[_ID]!r} is not a CoNLL-U word id")
    if not word_lines:
        raise ConfigurationError(f"{path}, line {first}: the sentence has no words")
    return Sentence(block, word_lines, f"{path}, line {first}")


_TEXT = "# text = "


def _text(lines: List[str]) -> Iterator[Sentence]:
    # A text sentence's lines are its comments; it is tokenised when parsed.
    sentences = (line.strip() for line in lines if line.strip())
    for number, sentence in enumerate(sentences, 1):
        yield Sentence([f"# sent_id = {number}", _TEXT + sentence], [], "")


def _parse_batch(
    predictor: BiaffineDependencyParserMultiLangPredictor,
    language: str,
    batch: List[Sentence],
    output: IO[str],
) -> int:
    """Parses `batch` and writes it to `output`; returns the number of words."""
    inputs = []
    for sentence in batch:
        if sentence.word_lines:
            rows = [sentence.lines[i].split("\t") for i in sentence.word_lines]
            inputs.append(
                {
                    "lang": language,
                    "words": [r[_FORM] for r in rows],
                    "pos": [r[_UPOS] for r in rows],
                }
            )
        else:
            inputs.append({"lang": language, "sentence": sentence.lines[-1][len(_TEXT) :]})
    words = 0
    for sentence, parsed in zip(batch, predictor.predict_batch_json(inputs)):
        lines = _fill(sentence, parsed) if sentence.word_lines else _from_text(sentence, parsed)
        output.write("\n".join(lines) + "\n\n")
        words += len(parsed["words"])
    return words


def _fill(sentence: Sentence, parsed: dict) -> List[str]:
    lines = list(sentence.lines)
    for position, index in enumerate(sentence.word_lines):
        columns = lines[index].split("\t")
        columns[_HEAD] = str(parsed["predicted_heads"][position])
        columns[_DEPREL] = parsed["predicted_dependencies"][position]
        if columns[_UPOS] == MISSING_POS and parsed["pos"][position] != MISSING_POS:
            columns[_UPOS] = parsed["pos"][position]
        lines[index] = "\t".join(columns)
    return lines


def _from_text(sentence: Sentence, parsed: dict) -> List[str]:
    lines = list(sentence.lines)
    text = lines[-1][len(_TEXT) :]
    position = 0
    for number, word in enumerate(parsed["words"], 1):
        found = text.find(word, position)
        position = found + len(word) if found >= 0 else position
        space_after = found < 0 or position >= len(text) or text[position].isspace()
        lines.append(
            "\t".join(
                [
                    str(number),
                    word,
                    "_",
                    parsed["pos"][number - 1],
                    "_",
                    "_",
                    str(parsed["predicted_heads"][number - 1]),
                    parsed["predicted_dependencies"][number - 1],
                    "_",
                    "_" if space_after else "SpaceAfter=No",
                ]
            )
        )
    return lines
