"""Line-numbered reading of UTF-8 text files, for errors that point at `file, line N`."""

from typing import Iterator, Tuple


def numbered_lines(path: str) -> Iterator[Tuple[int, str]]:
    """
    `(line_number, line)` for every line of `path`, 1-based, without the line break; a line that
    is not valid UTF-8 raises `ValueError` naming the file and line.
    """
    with open(path, "rb") as file:
        for line_number, raw in enumerate(file, 1):
            try:
                yield line_number, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as error:
                raise ValueError(
                    f"{path}, line {line_number}: not valid UTF-8 ({error})"
                ) from error
