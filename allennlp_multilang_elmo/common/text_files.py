"""Line-numbered reading of UTF-8 text files, for errors that point at `file, line N`."""

from typing import Iterator, Tuple


def numbered_lines(path: str) -> Iterator[Tuple[int, str]]:
    """
    `(line_number, line)` for every line of `path`, 1-based, without the line break and without a
    byte order mark at the start of the file; a line that is not valid UTF-8 raises `ValueError`
    naming the file and line, and so does a NUL byte (a binary file). Lines end only at `\n` (and
    `\r\n`): other Unicode line breaks (U+2028, U+0085, ...) are characters of the line.
    """
    for _, line_number, line in positioned_lines(path):
        yield line_number, line


def positioned_lines(
    path: str, offset: int = 0, line_number: int = 1
) -> Iterator[Tuple[int, int, str]]:
    """
    `(offset, line_number, line)` for the lines of `path` from byte `offset`, which must be the
    start of line `line_number` (a position this function gave before), so that a reader can
    come back to a line without reading what precedes it. Lines as `numbered_lines` gives them.
    """
    with open(path, "rb") as file:
        file.seek(offset)
        for raw in file:
            start, offset = offset, offset + len(raw)
            if start == 0 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if b"\x00" in raw:
                raise ValueError(f"{path}, line {line_number}: a NUL byte; this is not a text file")
            try:
                yield start, line_number, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as error:
                raise ValueError(
                    f"{path}, line {line_number}: not valid UTF-8 ({error})"
                ) from error
            line_number += 1
