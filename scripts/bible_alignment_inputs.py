#!/usr/bin/env python
"""
Inputs for aligning the Spanish Bible biLM onto the English one (scripts/align_elmo_bible.sh):

- OUTPUT_DIR/heldout.en.txt and heldout.es.txt: the held-out verses, tokenised as the biLMs were
  trained (`bilm_text`, spaCy's rules), one verse per line, for `allennlp elmo-anchors`;
- DICTIONARY (`es en` per line, MUSE format): the confident word pairs of the aligned verses (all
  31,082; `cooccurrence_dictionary`, Dice >= 0.3, mutual best, at least 5 verses), then every
  other string that occurs at least MIN_COUNT times in both languages' held-out verses, paired
  with itself.

    python scripts/bible_alignment_inputs.py --output-dir DIR --dictionary FILE [--min-count 3]
"""

import argparse
import os
from typing import List

from allennlp_multilang_elmo.alignment.dictionary import write_dictionary
from allennlp_multilang_elmo.alignment.parallel_dictionary import (
    add_identical_strings,
    cooccurrence_dictionary,
)
from allennlp_multilang_elmo.common.atomic_files import atomic_outputs
from allennlp_multilang_elmo.data.dataset_readers.bilm_text import BilmTextDatasetReader

BIBLE = "data/bible-en-es/parallel_en_es-{}.tsv"
COLUMNS = {"en": 1, "es": 2}


def sentences(language: str, split: str) -> List[List[str]]:
    reader = BilmTextDatasetReader(column=COLUMNS[language], language=language)
    return reader.read_sentences(BIBLE.format(split))


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--dictionary", required=True)
    parser.add_argument("--min-count", type=int, default=3)
    args = parser.parse_args(argv)
    heldout = {language: sentences(language, "heldout") for language in COLUMNS}
    everything = {
        language: sentences(language, "train") + heldout[language] for language in COLUMNS
    }
    scored = cooccurrence_dictionary(zip(everything["es"], everything["en"]))
    pairs = add_identical_strings(
        [(source, target) for source, target, _ in scored],
        heldout["es"],
        heldout["en"],
        args.min_count,
    )
    with atomic_outputs() as outputs:
        for language, verses in heldout.items():
            path = os.path.join(args.output_dir, f"heldout.{language}.txt")
            with open(outputs.path(path), "w", encoding="utf-8") as f:
                f.writelines(" ".join(verse) + "\n" for verse in verses)
        write_dictionary(outputs.path(args.dictionary), pairs)
    print(
        f"{len(scored)} co-occurrence pairs and {len(pairs) - len(scored)} identical strings in "
        f"{args.dictionary}"
    )


if __name__ == "__main__":
    main()
