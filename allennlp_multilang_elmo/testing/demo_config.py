"""
The shipped demo experiment (`training_configs/demo_zero_shot.jsonnet`), pointed at other ELMo models
and data, so tests train exactly what the README's demo trains, only smaller.
"""
import copy
import os
from typing import Any, Dict, Optional

from allennlp.common import Params

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_CONFIG = os.path.join(REPO_ROOT, "training_configs", "demo_zero_shot.jsonnet")


def demo_config(
    elmo_files: Dict[str, Dict[str, str]],
    train_data_path: str,
    validation_data_path: str,
    overrides: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """
    The demo config as a dict, with the embedder's `options_files`, `weight_files` and
    `aligning_files` replaced by `elmo_files` (as `write_multilang_elmo` returns them), the data
    paths replaced, and then `overrides` merged in (nested dicts merge key by key; other values,
    lists included, replace).
    """
    params = Params.from_file(DEMO_CONFIG).as_dict(quiet=True)
    params["model"]["text_field_embedder"]["token_embedders"]["elmo"].update(elmo_files)
    params["train_data_path"] = train_data_path
    params["validation_data_path"] = validation_data_path
    deep_merge(params, overrides or {})
    return params


def deep_merge(original: Dict[str, Any], overrides: Dict[str, Any]) -> None:
    """Merges `overrides` into `original` in place: dicts key by key, other values replace."""
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(original.get(key), dict):
            deep_merge(original[key], value)
        else:
            original[key] = copy.deepcopy(value)
