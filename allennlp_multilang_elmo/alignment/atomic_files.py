"""
All-or-nothing output: files are written under temporary names in their own folder and renamed into
place only when every one of them is complete, so a failure never leaves a partial result where a
complete one is expected.
"""

import contextlib
import os
from typing import Dict, Iterator


class AtomicOutputs:
    """
    The temporary files of one `atomic_outputs` block, by final path. `path(final)` gives the name
    to write `final` under; the block renames them all when it ends without an error.
    """

    def __init__(self) -> None:
        self._temporary: Dict[str, str] = {}

    def path(self, final: str) -> str:
        if final not in self._temporary:
            directory = os.path.dirname(os.path.abspath(final))
            os.makedirs(directory, exist_ok=True)
            # A hidden name in the same folder (os.replace needs the same file system), unique to
            # this process; the writer creates it with the usual permissions.
            name = f".{os.path.basename(final)}.{os.getpid()}.tmp"
            self._temporary[final] = os.path.join(directory, name)
        return self._temporary[final]


@contextlib.contextmanager
def atomic_outputs() -> Iterator[AtomicOutputs]:
    """
    A block whose files appear together at its end, or not at all:

    ```python
    with atomic_outputs() as outputs:
        numpy.save(outputs.path("out/a.npy"), a)
        write_report(outputs.path("out/a.json"))
    ```

    On an error inside the block the temporary files are removed and the error propagates.
    """
    outputs = AtomicOutputs()
    try:
        yield outputs
    except BaseException:
        for temporary in outputs._temporary.values():
            with contextlib.suppress(FileNotFoundError):
                os.remove(temporary)
        raise
    for final, temporary in outputs._temporary.items():
        os.replace(temporary, final)
