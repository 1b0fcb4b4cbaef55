#!/usr/bin/env python
"""
Compares alignment files of one language onto English (issue 16, item 4): for each, the
precision@1 its JSON report gives (CSLS, per ELMo layer: `elmo-align --test-dictionary` and
`elmo-align-parallel --dictionary --anchors` measure it on the same FreeDict pairs among the same
anchors) and the zero-shot UAS/LAS it gives the English-only parsers of `scripts/replicate.py`
(ELMo + gold UPOS, and ELMo alone) on the language's test treebank; "not aligned" is the identity.

    python scripts/compare_alignments.py LANG NAME=ALIGNMENT.pth [NAME=ALIGNMENT.pth ...] \
        [--parsers output/replicate/english] [--output output/compare-alignments-LANG]

Writes OUTPUT/comparison.md and OUTPUT/comparison.json.
"""

import argparse
import json
import os
import sys
from typing import Any, Dict, List

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "scripts"))
from alignment_study import write_results, zero_shot  # noqa: E402

from allennlp_multilang_elmo.alignment.align import report_path  # noqa: E402


def precision(alignment: str) -> Dict[str, float]:
    """The CSLS precision@1 per layer from the report beside `alignment`."""
    with open(report_path(alignment)) as f:
        layers = json.load(f)["layers"]
    # elmo-align reports it per layer; elmo-align-parallel under the layer's "dictionary".
    scores = {
        layer: report["dictionary"] if isinstance(report.get("dictionary"), dict) else report
        for layer, report in layers.items()
    }
    return {layer: round(100 * s["precision_at_1"]["csls"], 1) for layer, s in scores.items()}


def main(argv: List[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("language")
    parser.add_argument("alignments", nargs="+", metavar="NAME=ALIGNMENT")
    parser.add_argument("--parsers", default="output/replicate/english")
    parser.add_argument("--elmo-dir", default="data/elmo-libreoffice")
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    os.chdir(REPO)
    lang = args.language
    work = args.output or f"output/compare-alignments-{lang}"
    os.makedirs(work, exist_ok=True)
    named = [item.split("=", 1) for item in args.alignments]
    results: List[Dict[str, Any]] = [
        {
            "alignment": "not aligned",
            **zero_shot(args.parsers, lang, None, args.elmo_dir, work, "none"),
        }
    ]
    for name, alignment in named:
        result = {"alignment": name, "file": alignment, "precision_at_1_csls": precision(alignment)}
        key = "".join(c if c.isalnum() else "_" for c in name)
        result.update(zero_shot(args.parsers, lang, alignment, args.elmo_dir, work, key))
        print(json.dumps(result), flush=True)
        results.append(result)
    table = write_results(results, f"{lang} alignment", "alignment", work, "comparison")
    print(table)


if __name__ == "__main__":
    main(sys.argv[1:])
