"""
`allennlp parse`: parses CoNLL-U files or raw text (one sentence per line, or one paragraph per
line, split into sentences) with a trained `biaffine_parser_multilang` archive and writes CoNLL-U.
Like AllenNLP's `predict` command, the module holds the engine (`parse_files`) beside the argument
parsing.

CoNLL-U input passes through unchanged except for the columns the parser predicts: every comment
line, multiword-token line (`1-2`) and empty node (`1.1`) stays as it is, and each word's HEAD and
DEPREL are filled in, and its UPOS where the input has none (`_`) and the model has a POS tagger.
Raw text is tokenised by the predictor (the `language_rules` tokenizer, as the biLM reader split the
biLM's text) and written with `# sent_id` and `# text` comments (and `# newpar id` where a paragraph
starts), `SpaceAfter=No` where the text has no space after a token, and the tagger's UPOS.

With `--html`, the parses are also drawn as a page of dependency arcs (spaCy's displaCy in manual
mode), for reading without CoNLL-U.

Everything is read and checked before the model runs, and the outputs are written under temporary
names and renamed together when complete, so bad input or an interruption never leaves a partial
file.
"""

import argparse
import logging
import os
import time
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence

import torch
from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError
from allennlp.common.tqdm import Tqdm
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor
from allennlp_models.structured_prediction.models.biaffine_dependency_parser import (
    BiaffineDependencyParser,
)

from allennlp_multilang_elmo.common.atomic_files import atomic_outputs
from allennlp_multilang_elmo.common.conllu import (
    parse_sentence,
    read_span,
    scan_sentences,
    sentence_lines,
)
from allennlp_multilang_elmo.common.text_files import numbered_lines
from allennlp_multilang_elmo.data.tokenizers.language_rules_tokenizer import (
    LanguageRulesTokenizer,
)
from allennlp_multilang_elmo.predictors.biaffine_dependency_parser_multilang import (
    MISSING_POS,
    BiaffineDependencyParserMultiLangPredictor,
)

logger = logging.getLogger(__name__)

INPUT_FORMATS = ("conllu", "text", "paragraphs")
DEFAULT_THREADS = 0
"""
torch's default (one a core); with the launcher's passive OpenMP wait never the slow case, idle
or beside a busy process (README: Parsing files, for the measured figures).
"""
# Warnings that loading and running any parser archive gives, about nothing the user can change.
_KNOWN_WARNINGS = (
    "Your label namespace was 'pos'",
    "couldn't be split by the batch size",
)
_UPOS, _HEAD, _DEPREL = 3, 6, 7
_TEXT = "# text = "


@Subcommand.register("parse")
class Parse(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Parse CoNLL-U files (HEAD and DEPREL filled in, UPOS where missing; comments, "
            "multiword tokens and empty nodes kept) or raw text, one sentence or paragraph per "
            "line, into one CoNLL-U file."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("archive_file", type=str, help="the trained model (model.tar.gz)")
        subparser.add_argument("input_files", nargs="+", type=str, help="the files to parse")
        subparser.add_argument("--output-file", required=True, type=str, help="CoNLL-U output")
        subparser.add_argument(
            "--lang",
            type=str,
            default=None,
            help="the language of every input (default: from each file name, as the reader does)",
        )
        subparser.add_argument(
            "--input-format",
            choices=INPUT_FORMATS,
            default="conllu",
            help="CoNLL-U; raw text with one sentence a line; or raw text with one paragraph a "
            "line, split into sentences by the language's rules",
        )
        subparser.add_argument("--batch-size", type=int, default=32, help="sentences per batch")
        subparser.add_argument("--cuda-device", type=int, default=-1, help="GPU id, -1 for CPU")
        subparser.add_argument(
            "--threads",
            type=int,
            default=DEFAULT_THREADS,
            help="torch's CPU threads, 0 for torch's default (README: Parsing files, for the "
            "measured figures)",
        )
        subparser.add_argument(
            "-o",
            "--overrides",
            type=str,
            default="",
            help="a JSON structure to override the archive's config, as for allennlp evaluate",
        )
        subparser.add_argument(
            "--html", type=str, default=None, help="also draw the parses as an HTML page"
        )
        subparser.set_defaults(func=parse_from_args)
        return subparser


def _without_known_warnings(record: logging.LogRecord) -> bool:
    return not any(text in record.getMessage() for text in _KNOWN_WARNINGS)


def parse_from_args(args: argparse.Namespace) -> None:
    if "ALLENNLP_LOG_LEVEL" not in os.environ and "ALLENNLP_DEBUG" not in os.environ:
        # Loading an archive logs its whole configuration; warnings and errors are what count here.
        logging.getLogger().setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_without_known_warnings)  # once: logging skips a filter it has
    if args.threads < 0:
        raise ConfigurationError(
            f"--threads must be 0 (torch's default) or more, not {args.threads}"
        )
    if args.threads:
        torch.set_num_threads(args.threads)
    if not os.path.isfile(args.archive_file):
        raise ConfigurationError(f"{args.archive_file}: no such model archive")
    archive = load_archive(
        args.archive_file, cuda_device=args.cuda_device, overrides=args.overrides
    )
    if not isinstance(archive.model, BiaffineDependencyParser):
        kind = archive.config.get("model", {}).get("type", type(archive.model).__name__)
        raise ConfigurationError(
            f"{args.archive_file} is a {kind!r} model, not a dependency parser: parse takes the "
            "archive of a biaffine_parser_multilang (or biaffine_parser)"
        )
    predictor = Predictor.from_archive(
        archive, "biaffine_parser_multilang", dataset_reader_to_load="validation"
    )
    summary = parse_files(
        predictor,  # type: ignore[arg-type]
        args.input_files,
        args.output_file,
        language=args.lang,
        input_format=args.input_format,
        batch_size=args.batch_size,
        html_file=args.html,
    )
    also = f" and {args.html}" if args.html else ""
    print(f"{summary}; wrote {args.output_file}{also}")


class Sentence(NamedTuple):
    lines: List[str]
    """The sentence's lines as read (without line ends); for text input, as they will be written."""
    word_lines: List[int]
    """Which of `lines` are words (not comments, multiword tokens or empty nodes)."""


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
    html_file: Optional[str] = None,
) -> ParseSummary:
    """
    Parses `input_files` (in this order) into one CoNLL-U `output_file`, and with `html_file` an
    HTML page of the parses. The language is `language`, or else each file's, from its name as
    `universal_dependencies_multilang` tells it. Raises `ConfigurationError` naming the file (and
    line) of bad input, before anything is written.
    """
    if html_file and os.path.abspath(html_file) == os.path.abspath(output_file):
        raise ConfigurationError(f"--html and --output-file are both {output_file}: give two files")
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
    languages = [_language(predictor, path, language) for path in input_files]
    documents = [
        (file_language, _read(path, input_format, file_language))
        for path, file_language in zip(input_files, languages)
    ]
    total = sum(len(sentences) for _, sentences in documents)
    started = time.perf_counter()
    tokens = 0
    drawings: List[Dict[str, Any]] = []
    with atomic_outputs() as outputs:
        with open(outputs.path(output_file), "w", encoding="utf-8") as output:
            with Tqdm.tqdm(total=total, desc="parsing", unit=" sentences") as progress:
                for document_language, sentences in documents:
                    for start in range(0, len(sentences), batch_size):
                        batch = sentences[start : start + batch_size]
                        parsed = _parse_batch(predictor, document_language, batch)
                        for lines in parsed:
                            output.write("\n".join(lines) + "\n\n")
                            tokens += sum(1 for line in lines if _is_word(line))
                            if html_file:
                                drawings.append(_drawing(lines, len(drawings) + 1))
                        progress.update(len(batch))
        if html_file:
            from spacy import displacy

            page = displacy.render(drawings, style="dep", manual=True, page=True)
            with open(outputs.path(html_file), "w", encoding="utf-8") as f:
                f.write(page)
    return ParseSummary(total, tokens, time.perf_counter() - started)


def _language(
    predictor: BiaffineDependencyParserMultiLangPredictor, path: str, language: Optional[str]
) -> str:
    if language is not None:
        return language
    language_of = getattr(predictor._dataset_reader, "language_of", None)
    try:
        if language_of is None:
            raise ConfigurationError("the model's reader cannot tell languages from file names")
        from_name = language_of(path)
    except ConfigurationError:
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


def _read(path: str, input_format: str, language: str) -> List[Sentence]:
    if not os.path.isfile(path):
        raise ConfigurationError(f"{path}: no such file")
    try:
        if input_format == "conllu":
            sentences = list(_conllu_sentences(path))
        elif input_format == "paragraphs":
            sentences = list(_paragraphs(path, LanguageRulesTokenizer(language)))
        else:
            sentences = list(_text(path))
    except OSError as error:
        raise ConfigurationError(f"{path}: cannot read it ({error.strerror})") from None
    except ValueError as error:  # names the file and line
        raise ConfigurationError(str(error)) from None
    if not sentences:
        raise ConfigurationError(f"{path}: no sentences to parse (the file is empty or blank)")
    return sentences


def _conllu_sentences(path: str) -> Iterator[Sentence]:
    with open(path, "rb") as file:
        for span in scan_sentences(path, path):
            text = read_span(file, span)
            parsed = parse_sentence(
                text,
                span,
                with_dependencies=False,
                raw_text_hint=" (raw text? pass --input-format text)",
            )
            yield Sentence(sentence_lines(text), [line - span.line for line in parsed.lines])


def _text(path: str) -> Iterator[Sentence]:
    # A text sentence's lines are its comments; it is tokenised when parsed.
    number = 0
    for _, line in numbered_lines(path):
        if line.strip():
            number += 1
            yield Sentence([f"# sent_id = {number}", _TEXT + line.strip()], [])


def _paragraphs(path: str, tokenizer: LanguageRulesTokenizer) -> Iterator[Sentence]:
    # As _text, a line a paragraph: its sentences, the first under a `# newpar` comment.
    number = 0
    paragraphs = (line.strip() for _, line in numbered_lines(path))
    for paragraph_number, paragraph in enumerate(filter(None, paragraphs), 1):
        for index, text in enumerate(tokenizer.split_sentences(paragraph)):
            number += 1
            newpar = [f"# newpar id = {paragraph_number}"] if index == 0 else []
            yield Sentence([*newpar, f"# sent_id = {number}", _TEXT + text], [])


def _parse_batch(
    predictor: BiaffineDependencyParserMultiLangPredictor, language: str, batch: List[Sentence]
) -> List[List[str]]:
    """The CoNLL-U lines of each sentence of `batch`, parsed."""
    inputs = []
    for sentence in batch:
        if sentence.word_lines:
            rows = [sentence.lines[i].split("\t") for i in sentence.word_lines]
            inputs.append(
                {"lang": language, "words": [r[1] for r in rows], "pos": [r[_UPOS] for r in rows]}
            )
        else:
            inputs.append({"lang": language, "sentence": sentence.lines[-1][len(_TEXT) :]})
    return [
        _fill(sentence, parsed) if sentence.word_lines else _from_text(sentence, parsed)
        for sentence, parsed in zip(batch, predictor.predict_batch_json(inputs))
    ]


def _is_word(line: str) -> bool:
    """Whether a CoNLL-U line is a word's (not a comment, multiword token or empty node)."""
    return line.split("\t", 1)[0].isdigit()


def _drawing(lines: List[str], number: int) -> Dict[str, Any]:
    """One parsed sentence as displaCy's manual input: its words with UPOS, and its arcs."""
    words = [line.split("\t") for line in lines if _is_word(line)]
    arcs = []
    for position, columns in enumerate(words):
        head = int(columns[_HEAD]) - 1
        if head >= 0:
            start, end = sorted((position, head))
            direction = "left" if head > position else "right"
            arcs.append({"start": start, "end": end, "label": columns[_DEPREL], "dir": direction})
    return {
        "words": [{"text": columns[1], "tag": columns[_UPOS]} for columns in words],
        "arcs": arcs,
        "title": f"sentence {number}",
    }


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
