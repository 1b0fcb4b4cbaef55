"""
A minimal, idempotent way to replace an attribute of a class or module while keeping the original
reachable, so that applying a patch twice does not stack wrappers and tests can call the unpatched
behaviour; and the version guard every patch applies through (`written_for`).
"""

import contextlib
import importlib.metadata
import logging
from typing import Any, Callable, Dict, Iterator, Optional, Set

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

logger = logging.getLogger(__name__)

# Patches whose version mismatch has been logged in this process.
_reported: Set[str] = set()


def installed_version(distribution: str) -> Optional[str]:
    """The installed version of `distribution` (e.g. "torch"), or `None` if it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def written_for(patch: str, versions: Dict[str, str]) -> bool:
    """
    Whether the installed distributions satisfy `versions` (`{"torch": ">=2.6", ...}`, pip's
    specifiers; pre-releases and local builds such as `2.14.1+cpu` count), i.e. whether `patch`
    may be applied. If not, logs one line (once per process) that names the patch, what it was
    written for and what is installed; the patch must then do nothing.
    """
    found = {name: installed_version(name) for name in versions}
    if all(_satisfies(found[name], specifier) for name, specifier in versions.items()):
        return True
    if patch not in _reported:
        _reported.add(patch)
        logger.warning(
            "Compat patch %s not applied: written for %s, found %s (see "
            "allennlp_multilang_elmo/compat/README.md)",
            patch,
            ", ".join(f"{name}{specifier}" for name, specifier in versions.items()),
            ", ".join(f"{name} {version or 'not installed'}" for name, version in found.items()),
        )
    return False


def _satisfies(version: Optional[str], specifier: str) -> bool:
    if version is None:
        return False
    try:
        return SpecifierSet(specifier).contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False


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


class StandIn:
    """
    Stands for `wrapped` (a module, context or queue): what a subclass does not define is
    `wrapped`'s, so a patch overrides only the attributes it changes.
    """

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)
