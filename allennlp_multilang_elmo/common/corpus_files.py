"""The files that corpus arguments name: paths or globs, as the biLM reader and anchors take."""

import glob
import os
from typing import List, Sequence


def corpus_files(patterns: Sequence[str]) -> List[str]:
    """
    The files that `patterns` (paths or globs, `**` included) name, each once, in the order given
    (the matches of one glob sorted). A pattern that matches no file is an error.
    """
    files: List[str] = []
    for pattern in patterns:
        matches = sorted(
            path for path in glob.glob(pattern, recursive=True) if os.path.isfile(path)
        )
        if not matches:
            raise ValueError(f"the corpus {pattern!r} matches no file")
        files.extend(path for path in matches if path not in files)
    return files
