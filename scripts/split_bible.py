#!/usr/bin/env python
"""
Cuts the verse-aligned Bible (`parallel_en_es.tsv`) into a training part and a held-out part,
reproducibly, by the SHA-256 of each verse's reference:

    python scripts/split_bible.py --source parallel_en_es.tsv --target data/bible-en-es

A verse is held out when the first 8 bytes of the SHA-256 of its reference (`Genesis 1:1`, UTF-8),
read as a big-endian number, are 9 modulo 10 (about a tenth of the verses); the others are for
training. Lines are copied verbatim and keep their order, so concatenating the two files and
splitting again gives them back byte for byte.

This is a maintenance tool: the package and its tests only read the files it wrote.
"""

import argparse
import hashlib
import os
from typing import Dict, List

from allennlp_multilang_elmo.common.atomic_files import atomic_outputs

SPLITS = ("train", "heldout")
PREFIX = "parallel_en_es"


def split_of(reference: str) -> str:
    """90/10: the first 8 bytes of the reference's SHA-256, as a number, modulo 10."""
    bucket = int.from_bytes(hashlib.sha256(reference.encode("utf-8")).digest()[:8], "big") % 10
    return "heldout" if bucket == 9 else "train"


def split_lines(lines: List[str], source: str) -> Dict[str, List[str]]:
    """The lines (with their line breaks) of each split; a line without 3 columns is an error."""
    splits: Dict[str, List[str]] = {split: [] for split in SPLITS}
    for number, line in enumerate(lines, 1):
        fields = line.rstrip("\n").split("\t")
        if len(fields) != 3:
            raise ValueError(f"{source}, line {number}: expected 3 tab-separated columns")
        splits[split_of(fields[0])].append(line)
    return splits


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True, help="the parallel TSV file")
    parser.add_argument("--target", required=True, help="folder for the split files")
    args = parser.parse_args(argv)
    with open(args.source, encoding="utf-8", newline="") as source:
        splits = split_lines([line for line in source if line.strip()], args.source)
    with atomic_outputs() as outputs:
        for split, lines in splits.items():
            path = os.path.join(args.target, f"{PREFIX}-{split}.tsv")
            with open(outputs.path(path), "w", encoding="utf-8", newline="") as out:
                out.writelines(lines)
            print(f"{path}: {len(lines)} verses")


if __name__ == "__main__":
    main()
