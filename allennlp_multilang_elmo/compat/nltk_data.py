"""
B5: every `allennlp` command tries to download NLTK data at start.

`allennlp_models/rc/tools/narrativeqa.py` runs `nltk.download("punkt")` and
`nltk.download("wordnet")` at import time whenever `nltk.data.find("tokenizers/punkt")` fails, and
AllenNLP imports it with the default `allennlp_models` plugin, before any other plugin: a network
attempt (and `[nltk_data] Error loading punkt` lines) at every CLI start, or a download into the
user's home directory. A Python patch cannot run early enough, so this is fixed at install time:
NLTK also searches `<sys.prefix>/nltk_data`, and an empty `tokenizers/punkt/` directory there
satisfies the check. Only the NarrativeQA evaluation script needs real punkt and wordnet data;
download them with `nltk.download` if you evaluate NarrativeQA.

Run `python -m allennlp_multilang_elmo.compat.nltk_data [--prefix PREFIX]` with the environment's
interpreter (PREFIX defaults to its `sys.prefix`).
"""

import argparse
import os
import sys
from typing import List, Optional

from allennlp_multilang_elmo.compat._patching import written_for

# The import-time download is in allennlp-models 2.10.1's narrativeqa.py.
VERSIONS = {"allennlp-models": "==2.10.1"}
"""The installed versions this patch was written for (see `written_for`)."""


def ensure_punkt_stub(prefix: str = sys.prefix) -> str:
    """Creates `<prefix>/nltk_data/tokenizers/punkt/` if missing and returns its path."""
    path = os.path.join(prefix, "nltk_data", "tokenizers", "punkt")
    os.makedirs(path, exist_ok=True)
    return path


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Create the empty NLTK punkt folder (B5).")
    parser.add_argument("--prefix", default=sys.prefix, help="the environment (sys.prefix)")
    args = parser.parse_args(argv)
    if written_for("B5 (nltk_data)", VERSIONS):
        print(f"nltk_data: {ensure_punkt_stub(args.prefix)}")


if __name__ == "__main__":
    main()
