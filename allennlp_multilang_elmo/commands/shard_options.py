"""
The `--shard I/N` option of the commands whose work splits into shards that a `--merge` adds up
(`elmo-anchors`, `elmo-align-parallel`).
"""

import argparse
from typing import Tuple


def shard_argument(text: str) -> Tuple[int, int]:
    """`--shard I/N` as `(I, N)`, 1 <= I <= N."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected I/N such as 1/4, not {text!r}") from None
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError(f"{text}: I/N needs 1 <= I <= N")
    return index, count
