"""
Line-numbered access to the sentences of CoNLL-U (and CoNLL-X) files, for every reader of them:
the treebank reader, anchors' corpora and `allennlp parse`.

`conllu` parses sentences but does not say where they are in the file, so its errors cannot point
at a line. Here a file is first scanned into `SentenceSpan`s (first line and byte range of every
sentence), which is cheap and lets a reader sample and shard sentences before parsing any of them;
then `parse_sentence` parses one span line by line with `conllu`, checks what a dependency parser
needs, and reports problems as `file, line N: ...`; `tree_problem` says whether the heads form a
tree. Lines end only at `\n` (and `\r\n`), as CoNLL-U says: other Unicode line breaks are part of
a FORM.
"""

from typing import BinaryIO, Iterator, List, NamedTuple, Optional, Tuple

from conllu.exceptions import ParseException
from conllu.parser import DEFAULT_FIELD_PARSERS, DEFAULT_FIELDS, parse_line

# Only ID and HEAD need parsing (FEATS, DEPS and MISC are most of conllu's work); the other columns
# stay strings, so a POS column left empty keeps its `_`.
_FIELD_PARSERS = {field: DEFAULT_FIELD_PARSERS[field] for field in ("id", "head")}


class SentenceSpan(NamedTuple):
    """Where one sentence lies in a file: its first line (1-based) and its bytes `[start, end)`."""

    name: str
    """The file's name for messages (the path or URL it was given as)."""
    path: str
    """The local file to read."""
    line: int
    start: int
    end: int


class ParsedSentence(NamedTuple):
    words: List[str]
    pos_tags: List[str]
    dependencies: List[Tuple[str, int]]
    """
    `(deprel, head)` per word; heads are 1-based word positions, 0 for the root. Empty when parsed
    without dependencies.
    """
    lines: List[int]
    """The line of each word in its file."""


def scan_sentences(path: str, name: str) -> Iterator[SentenceSpan]:
    """The blank-line separated sentences of `path`, in file order."""
    with open(path, "rb") as file:
        offset = 0
        first_line = start = end = 0
        for number, line in enumerate(file, 1):
            if line.strip():
                if not first_line:
                    first_line, start = number, offset
                end = offset + len(line)
            elif first_line:
                yield SentenceSpan(name, path, first_line, start, end)
                first_line = 0
            offset += len(line)
        if first_line:
            yield SentenceSpan(name, path, first_line, start, end)


def read_span(file: BinaryIO, span: SentenceSpan) -> str:
    """
    The text of `span`, read from `file` (opened in binary mode on `span.path`), without a byte
    order mark at the start of the file. Text that is not UTF-8 or holds a NUL byte raises
    `ValueError` naming the file and line.
    """
    file.seek(span.start)
    data = file.read(span.end - span.start)
    if b"\x00" in data:
        line = span.line + data[: data.index(b"\x00")].count(b"\n")
        raise ValueError(f"{span.name}, line {line}: a NUL byte; this is not a CoNLL-U file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = span.line + data[: error.start].count(b"\n")
        raise ValueError(f"{span.name}, line {line}: not valid UTF-8 ({error.reason})") from None
    return text.lstrip("\ufeff") if span.start == 0 else text


def sentence_lines(text: str) -> List[str]:
    """The lines of a sentence's `text` (from `read_span`), without line ends."""
    return [line.rstrip("\r") for line in text.rstrip("\r\n").split("\n")]


def parse_sentence(
    text: str,
    span: SentenceSpan,
    use_language_specific_pos: bool = False,
    with_dependencies: bool = True,
    raw_text_hint: str = "",
) -> ParsedSentence:
    """
    Parses the sentence `text` found at `span`, keeping syntactic words only: multiword tokens
    (`1-2`) and empty nodes (`1.1`) are skipped, as a basic-dependency parser predicts neither.
    The POS tags are UPOS, or XPOS when `use_language_specific_pos`; an empty one (some treebanks
    leave XPOS out for some words) is kept as the tag `_`. Every word must have a non-empty FORM
    and, `with_dependencies`, a head and a relation; words must be numbered 1, 2, 3, ... so that
    heads point at the right words. A sentence whose FORMs are all `_` (a treebank distributed
    without its text) is refused too. Whether the heads form a tree is left to `tree_problem`.
    Raises `ValueError` naming the file and line of the first problem; a line without any tab
    gets `raw_text_hint` after the message.
    """
    words: List[str] = []
    pos_tags: List[str] = []
    dependencies: List[Tuple[str, int]] = []
    word_lines: List[int] = []
    pos_field = "xpos" if use_language_specific_pos else "upos"

    def error(line_number: int, problem: str) -> ValueError:
        return ValueError(f"{span.name}, line {line_number}: {problem}")

    for line_number, line in enumerate(sentence_lines(text), span.line):
        if line.startswith("#"):
            continue
        # CoNLL-U and CoNLL-X separate columns by tabs; forms may contain spaces.
        num_columns = len(line.split("\t"))
        if num_columns != len(DEFAULT_FIELDS):
            hint = raw_text_hint if num_columns == 1 else ""
            raise error(
                line_number,
                f"expected {len(DEFAULT_FIELDS)} tab-separated columns, "
                f"found {num_columns}{hint}: {line!r}",
            )
        try:
            token = parse_line(line, DEFAULT_FIELDS, _FIELD_PARSERS)
        except ParseException as parse_error:
            raise error(line_number, f"{parse_error}: {line!r}") from parse_error

        if token["id"] is None:
            raise error(line_number, f"the word has no id: {line!r}")
        if not isinstance(token["id"], int):
            continue
        if token["id"] != len(words) + 1:
            raise error(
                line_number,
                f"word ids must run 1, 2, 3, ...; found {token['id']} after {len(words)}",
            )
        if with_dependencies and (token["head"] is None or token["deprel"] == "_"):
            raise error(line_number, f"word {token['id']} has no head or relation: {line!r}")
        if not token["form"].strip():
            raise error(line_number, f"word {token['id']} has an empty FORM: {line!r}")
        words.append(token["form"])
        pos_tags.append(token[pos_field])
        if with_dependencies:
            dependencies.append((token["deprel"], token["head"]))
        word_lines.append(line_number)

    if not words:
        raise error(span.line, "the sentence has no words")
    for position, (_, head) in enumerate(dependencies):
        if not 0 <= head <= len(words):
            raise error(
                word_lines[position],
                f"word {position + 1} has head {head}, outside the sentence's {len(words)} words",
            )
    if all(word == "_" for word in words):
        raise error(
            span.line,
            "every FORM of the sentence is '_': the treebank seems to be distributed without its "
            "text, which must be restored before it can be read",
        )
    return ParsedSentence(words, pos_tags, dependencies, word_lines)


def tree_problem(sentence: ParsedSentence, span: SentenceSpan) -> Optional[str]:
    """
    Why the heads of `sentence` (found at `span`) do not form a tree, as `file, line N: ...`, or
    `None` if they do: a tree has exactly one word whose head is 0 (the root), no word is its own
    head, and following heads from any word reaches the root (no cycle).
    """
    heads = [head for _, head in sentence.dependencies]

    def problem(line_number: int, text: str) -> str:
        return f"{span.name}, line {line_number}: {text}"

    for word, head in enumerate(heads, 1):
        if head == word:
            return problem(sentence.lines[word - 1], f"word {word} is its own head")
    roots = [word for word, head in enumerate(heads, 1) if head == 0]
    if not roots:
        return problem(span.line, "the sentence has no root (no word has head 0)")
    if len(roots) > 1:
        return problem(
            sentence.lines[roots[1] - 1],
            f"the sentence has {len(roots)} roots (words {', '.join(map(str, roots))} have head 0)",
        )
    # 0: not seen yet, 1: on the path being followed, 2: known to reach the root.
    state = [2] + [0] * len(heads)
    for start in range(1, len(heads) + 1):
        path: List[int] = []
        word = start
        while state[word] == 0:
            state[word] = 1
            path.append(word)
            word = heads[word - 1]
        if state[word] == 1:
            cycle = path[path.index(word) :] + [word]
            return problem(
                sentence.lines[word - 1],
                f"the heads of words {' -> '.join(map(str, cycle))} form a cycle",
            )
        for word in path:
            state[word] = 2
    return None
