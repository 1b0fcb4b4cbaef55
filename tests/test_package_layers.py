"""
The rooms of the package and what each may import (README, "Development"): a subpackage imports
only from the rooms below it, so the import graph has no cycle.
"""

import ast
import pathlib
from typing import Dict, Set

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "allennlp_multilang_elmo"

# Each room and the rooms it may import from.
ALLOWED: Dict[str, Set[str]] = {
    "common": set(),
    # The safe-default patches (B14 to B16) use the package's callbacks and archive helpers,
    # imported when they run: the patches are applied before those rooms are loaded.
    "compat": {"common", "modules", "training"},
    "data": {"common"},
    "modules": {"common"},
    "training": {"common", "data", "modules"},
    "models": {"common", "data", "modules", "training"},
    "alignment": {"common", "data", "modules"},
    "predictors": {"common", "data", "modules", "models"},
    "commands": {"common", "data", "modules", "training", "models", "alignment", "predictors"},
}


def imported_rooms(room: str) -> Dict[str, Set[str]]:
    """The other rooms each module of `room` imports from, by module path."""
    found: Dict[str, Set[str]] = {}
    for path in (PACKAGE / room).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == PACKAGE.name and len(parts) > 1 and parts[1] != room:
                    found.setdefault(str(path.relative_to(PACKAGE)), set()).add(parts[1])
    return found


def test_every_room_is_listed():
    rooms = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert rooms == set(ALLOWED)


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_a_room_imports_only_from_the_rooms_below_it(room):
    offences = {
        module: sorted(rooms - ALLOWED[room])
        for module, rooms in imported_rooms(room).items()
        if rooms - ALLOWED[room]
    }
    assert offences == {}


def test_the_allowed_imports_have_no_cycle():
    order = []
    remaining = dict(ALLOWED)
    while remaining:
        ready = [room for room, below in remaining.items() if below <= set(order)]
        assert ready, f"a cycle among {sorted(remaining)}"
        order.extend(sorted(ready))
        for room in ready:
            del remaining[room]
