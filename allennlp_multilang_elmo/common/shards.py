"""
What makes a set of shard outputs one run's (`elmo-anchors --shard`, `elmo-align-parallel
--shard`): all `N` shards, each once, and the same inputs and options in every shard's summary.
"""

from typing import Any, Dict, Sequence, Tuple


def _value(summary: Dict[str, Any], key: str) -> Any:
    """`summary[key]`, where a dotted key such as `options.center` reads a nested value."""
    value: Any = summary
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def check_shard_set(shards: Sequence[Tuple[str, Dict[str, Any]]], identity: Sequence[str]) -> None:
    """
    Checks that the `(folder, summary)` pairs of `shards` are shards `1` to `num_shards` of one
    run, each once, whose summaries agree on every key of `identity` (dotted keys read nested
    values); raises `ValueError` naming the folders and the key that differ, or the shards
    missing or given twice.
    """
    if not shards:
        raise ValueError("give the shard folders to merge")
    first_dir, first = shards[0]
    for directory, summary in shards[1:]:
        for key in ("num_shards", *identity):
            if _value(summary, key) != _value(first, key):
                raise ValueError(
                    f"the shards {first_dir!r} and {directory!r} differ in {key} "
                    f"({_value(first, key)!r} and {_value(summary, key)!r}): they are not shards "
                    "of one run"
                )
    count = first["num_shards"]
    numbers = sorted(summary["shard"] for _, summary in shards)
    if numbers != list(range(1, count + 1)):
        missing = sorted(set(range(1, count + 1)) - set(numbers))
        repeated = sorted({n for n in numbers if numbers.count(n) > 1})
        raise ValueError(
            f"a merge needs shards 1 to {count} once each; "
            + (f"missing: {missing}" if missing else "")
            + ("; " if missing and repeated else "")
            + (f"given twice: {repeated}" if repeated else "")
        )
