"""
The shipped tiny demo experiment (`training_configs/demo_tiny.jsonnet`), pointed at other ELMo
models and data, so tests train exactly what the README's demo trains, only smaller.
"""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional

from allennlp.common import Params

from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_CONFIG = os.path.join(REPO_ROOT, "training_configs", "demo_tiny.jsonnet")
FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "ud_multilang")
ALLENNLP = os.path.join(os.path.dirname(sys.executable), "allennlp")
OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
DEMO_LANGUAGES = ["en", "de", "fr", "es", "it"]
BILM_CONFIG = os.path.join(REPO_ROOT, "training_configs", "elmo_bilm.jsonnet")
BILM_TEXT = os.path.join(REPO_ROOT, "tests", "fixtures", "bilm", "libreoffice_fr.txt")


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


def bilm_config(
    train_data_path: str, validation_data_path: str, overrides: Optional[Dict[str, Any]] = None
) -> Dict[str, Any]:
    """
    The generic biLM config (`elmo_bilm.jsonnet`) for French text, with the tiny ELMo geometry,
    8 streams, 20 softmax samples, every word in the vocabulary and 1 epoch; then `overrides`.
    """
    ext_vars = {
        "BILM_LANGUAGE": "fr",
        "BILM_TRAIN": train_data_path,
        "BILM_VALIDATION": validation_data_path,
    }
    params = Params.from_file(BILM_CONFIG, ext_vars=ext_vars).as_dict(quiet=True)
    tiny = {
        "model": {"options": elmo_options(), "num_samples": 20},
        "vocabulary": {"min_count": {"tokens": 1}},
        "dataset_reader": {"num_streams": 8},
        "data_loader": {"batch_size": 8, "max_instances_in_memory": 32},
        "trainer": {"num_epochs": 1},
    }
    deep_merge(params, tiny)
    deep_merge(params, overrides or {})
    return params


def deep_merge(original: Dict[str, Any], overrides: Dict[str, Any]) -> None:
    """Merges `overrides` into `original` in place: dicts key by key, other values replace."""
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(original.get(key), dict):
            deep_merge(original[key], value)
        else:
            original[key] = copy.deepcopy(value)


def train_demo(root: Path, overrides: Dict[str, Any]) -> Path:
    """
    Runs a real `allennlp train` process of the demo config (with tiny ELMo models written to
    `root/elmo`, 8 sentences a language a pass, 2 epochs, then `overrides`) on the test fixtures;
    returns its serialization folder `root/model`. The working folder is the repository, so
    `.allennlp_plugins` is what loads the plugin.
    """
    elmo_dir = root / "elmo"
    subprocess.run(
        [ALLENNLP, "write-tiny-elmo", str(elmo_dir), "--languages", *DEMO_LANGUAGES],
        cwd=REPO_ROOT,
        env=OFFLINE,
        check=True,
        capture_output=True,
    )
    files = {
        "options_files": {lang: str(elmo_dir / lang / "options.json") for lang in DEMO_LANGUAGES},
        "weight_files": {lang: str(elmo_dir / lang / "weights.hdf5") for lang in DEMO_LANGUAGES},
        "aligning_files": {lang: str(elmo_dir / lang / "align.pth") for lang in DEMO_LANGUAGES[1:]},
    }
    config = demo_config(
        files,
        os.path.join(FIXTURES, "*_pud-ud-train.conllu"),
        os.path.join(FIXTURES, "*_pud-ud-dev.conllu"),
        {"dataset_reader": {"instances_per_language": 8}, "trainer": {"num_epochs": 2}},
    )
    deep_merge(config, overrides)
    config_path = root / "config.json"
    config_path.write_text(json.dumps(config))
    serialization_dir = root / "model"
    result = subprocess.run(
        [ALLENNLP, "train", str(config_path), "-s", str(serialization_dir)],
        cwd=REPO_ROOT,
        env=OFFLINE,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"allennlp train failed:\n{result.stderr[-5000:]}")
    return serialization_dir
