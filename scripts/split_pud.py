#!/usr/bin/env python
"""
Cuts the UD PUD treebanks (released as test sets only) into train/dev/test files, reproducibly.

Every sentence goes to the split chosen by the SHA-256 hash of its `sent_id`, so a sentence lands in
the same split in every language (PUD sentences share their ids across languages) and the result
does not depend on the order of the sentences in the files. Sentences are copied verbatim, comments
included, in their original order.

    python scripts/split_pud.py --source ../shared/data/ud-pud --target data/ud-pud

This is a maintenance tool: the package and its tests only read the files it wrote.
"""

import argparse
import glob
import hashlib
import os
import sys
from typing import Dict, List

from allennlp_multilang_elmo.common.atomic_files import atomic_outputs
from allennlp_multilang_elmo.common.conllu import read_span, scan_sentences, sentence_lines

SPLITS = ("train", "dev", "test")
SOURCE_SUFFIX = "-test.conllu"


def split_of(sent_id: str) -> str:
    """80/10/10: the first 8 bytes of the id's SHA-256, as a number, modulo 10."""
    bucket = int.from_bytes(hashlib.sha256(sent_id.encode("utf-8")).digest()[:8], "big") % 10
    if bucket < 8:
        return "train"
    return "dev" if bucket == 8 else "test"


def sent_id_of(block: List[str], path: str) -> str:
    for line in block:
        key, _, value = line.partition("=")
        if line.startswith("#") and key.lstrip("#").strip() == "sent_id":
            return value.strip()
    raise ValueError(f"{path}: a sentence has no '# sent_id' comment:\n" + "\n".join(block))


def split_file(source_path: str, target_dir: str) -> Dict[str, int]:
    """Writes the three splits of one treebank and returns their sentence counts."""
    splits: Dict[str, List[str]] = {split: [] for split in SPLITS}
    with open(source_path, "rb") as source:
        for span in scan_sentences(source_path, source_path):
            block = sentence_lines(read_span(source, span))
            splits[split_of(sent_id_of(block, source_path))].append("\n".join(block) + "\n\n")

    prefix = os.path.basename(source_path)[: -len(SOURCE_SUFFIX)]
    with atomic_outputs() as outputs:
        for split, sentences in splits.items():
            path = os.path.join(target_dir, f"{prefix}-{split}.conllu")
            with open(outputs.path(path), "w", encoding="utf-8") as out:
                out.writelines(sentences)
    return {split: len(sentences) for split, sentences in splits.items()}


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True, help=f"folder with the *{SOURCE_SUFFIX} files")
    parser.add_argument("--target", required=True, help="folder for the split files")
    args = parser.parse_args(argv)

    sources = sorted(glob.glob(os.path.join(args.source, "*" + SOURCE_SUFFIX)))
    if not sources:
        sys.exit(f"no *{SOURCE_SUFFIX} files in {args.source}")
    os.makedirs(args.target, exist_ok=True)
    # A Markdown table, ready for the data README.
    print("| treebank | " + " | ".join(SPLITS) + " |")
    print("|---|" + "---:|" * len(SPLITS))
    for source_path in sources:
        counts = split_file(source_path, args.target)
        name = os.path.basename(source_path)[: -len(SOURCE_SUFFIX)]
        print(f"| {name} | " + " | ".join(str(counts[split]) for split in SPLITS) + " |")


if __name__ == "__main__":
    main()
