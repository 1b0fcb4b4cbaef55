"""
A minimal, idempotent way to replace an attribute of a class or module while keeping the original
reachable, so that applying a patch twice does not stack wrappers and tests can call the unpatched
behaviour.
"""
import contextlib
from typing import Any, Callable, Iterator

# Name of the attribute under which a replacement keeps the object it replaced.
_ORIGINAL = "__compat_original__"


def is_patched(owner: Any, name: str) -> bool:
    """Whether `owner.name` is, on `owner` itself (not inherited), a replacement made here."""
    return hasattr(vars(owner).get(name), _ORIGINAL)


def replace_attribute(owner: Any, name: str, make_replacement: Callable[[Any], Any]) -> None:
    """
    Sets `owner.name` (a class or module attribute) to `make_replacement(current)`, where
    `current` is the value before the patch (possibly inherited, `None` if missing). Does nothing
    if `owner.name` already is a replacement, so patches are idempotent. The replacement must accept
    attributes, as functions do.
    """
    if is_patched(owner, name):
        return
    current = getattr(owner, name, None)
    replacement = make_replacement(current)
    setattr(replacement, _ORIGINAL, current)
    setattr(owner, name, replacement)


def original(owner: Any, name: str) -> Any:
    """The value `owner.name` had before `replace_attribute`, or its current value if unpatched."""
    if is_patched(owner, name):
        return getattr(vars(owner)[name], _ORIGINAL)
    return getattr(owner, name, None)


@contextlib.contextmanager
def unpatched(owner: Any, *names: str) -> Iterator[None]:
    """Temporarily puts back the originals of patched `owner.<name>`s, to show what patches fix."""
    replacements = {name: vars(owner)[name] for name in names if is_patched(owner, name)}
    try:
        for name in replacements:
            setattr(owner, name, original(owner, name))
        yield
    finally:
        for name, replacement in replacements.items():
            setattr(owner, name, replacement)
