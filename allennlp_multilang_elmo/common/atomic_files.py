"""
All-or-nothing output: files are written under temporary names in their own folder and renamed into
place only when every one of them is complete, so a failure never leaves a partial result where a
complete one is expected. One mechanism for one file (`atomic_file`), several files that appear
together (`atomic_outputs`) and a whole new folder (`atomic_folder`).
"""

import contextlib
import os
import shutil
from typing import Dict, Iterator


def _hidden_name(final: str) -> str:
    # A hidden name in the same folder (os.replace needs the same file system), unique to this
    # process; the writer creates it with the usual permissions.
    directory, name = os.path.split(os.path.abspath(final))
    return os.path.join(directory, f".{name}.{os.getpid()}.tmp")


class AtomicOutputs:
    """
    The temporary files of one `atomic_outputs` block, by final path. `path(final)` gives the name
    to write `final` under; the block renames them all when it ends without an error.
    """

    def __init__(self) -> None:
        self._temporary: Dict[str, str] = {}

    def path(self, final: str) -> str:
        if final not in self._temporary:
            if os.path.isdir(final):
                raise IsADirectoryError(f"{final} is a folder; give the name of a file to write")
            os.makedirs(os.path.dirname(os.path.abspath(final)), exist_ok=True)
            self._temporary[final] = _hidden_name(final)
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


@contextlib.contextmanager
def atomic_file(path: str) -> Iterator[str]:
    """A block that writes one file under the yielded name; `path` appears when it succeeds."""
    with atomic_outputs() as outputs:
        yield outputs.path(path)


@contextlib.contextmanager
def atomic_folder(path: str, replace: bool = False) -> Iterator[str]:
    """
    A block that fills a new folder under the yielded name; it becomes `path` when the block
    succeeds, and is removed otherwise, so a complete folder is never mixed with files of another
    run. An existing `path` is an error (`FileExistsError`), or with `replace` is replaced as a
    whole: it is moved aside, the new folder moved in, then the old one deleted (a kill in
    between leaves no folder at `path` and the old one under a hidden name, never a mix).
    """
    path = os.path.abspath(path)
    if os.path.lexists(path) and not (replace and os.path.isdir(path)):
        raise FileExistsError(f"{path!r} already exists; give a new folder (nothing was written)")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = _hidden_name(path)
    shutil.rmtree(temporary, ignore_errors=True)
    os.makedirs(temporary)
    try:
        yield temporary
        if os.path.lexists(path):
            previous = _hidden_name(path) + ".old"
            shutil.rmtree(previous, ignore_errors=True)
            os.rename(path, previous)
            os.rename(temporary, path)
            shutil.rmtree(previous, ignore_errors=True)
        else:
            os.rename(temporary, path)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
