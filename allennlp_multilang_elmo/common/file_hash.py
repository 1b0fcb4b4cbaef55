"""The SHA-256 of a file, to name exact weights in caches and reports and the files of a run."""

import hashlib

from allennlp.common.file_utils import cached_path


def file_hash(path: str) -> str:
    """
    The SHA-256 of a file's bytes (a path or URL): names the exact weights in caches and reports,
    and the exact files of a run.
    """
    digest = hashlib.sha256()
    with open(cached_path(path), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
