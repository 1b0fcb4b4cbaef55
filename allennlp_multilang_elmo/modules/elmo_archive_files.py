"""
Portable archives: each language's ELMo files travel inside the model archive, once.

Frozen biLM weights are left out of every state dict (see `ElmoBiLm`), so checkpoints and the
archive's `weights.th` hold only what training changes. The `elmo_files_in_archive` trainer
callback (added to every training of a model with the embedder, compat patch B14) copies each
language's options, weight and alignment files into `<serialization_dir>/elmo_files/<lang>/`, which
goes into `model.tar.gz` (B15). When the archive is loaded, `archived_model_config` points the
model config at those copies, so the archive works from any folder, on a machine without the
original files.
"""

import json
import os
import shutil
from typing import Any, Dict, Iterator, Tuple

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.common.file_utils import cached_path

from allennlp_multilang_elmo.common.atomic_files import atomic_file
from allennlp_multilang_elmo.modules.token_embedders import multilang_embedders

ARCHIVE_FOLDER = "elmo_files"
FILE_NAMES = {
    "options_files": "options.json",
    "weight_files": "weights.hdf5",
    "aligning_files": "alignment",
}


def copy_elmo_files(model: torch.nn.Module, serialization_dir: str) -> int:
    """
    Copies the ELMo files of every multilingual embedder in `model` into `serialization_dir`
    (files already there are kept: a recovered run copies nothing twice). Returns the number of
    files copied.
    """
    copied = 0
    for embedder in multilang_embedders(model):
        for language, files in embedder.source_files.items():
            directory = os.path.join(serialization_dir, ARCHIVE_FOLDER, language)
            os.makedirs(directory, exist_ok=True)
            for key, path in files.items():
                target = os.path.join(directory, FILE_NAMES[key])
                if path and not os.path.exists(target):
                    with atomic_file(target) as temporary:
                        shutil.copyfile(cached_path(path), temporary)
                    copied += 1
    return copied


EMBEDDER_TYPES = ("elmo_token_embedder_multilang", "elmo_token_embedder_multilang_deterministic")
"""The registered names of the multilingual embedder."""


def embedder_configs(node: Any, path: str = "") -> Iterator[Tuple[str, Dict[str, Any]]]:
    """`(path, config)` of every multilingual embedder in a config tree (plain dicts and lists)."""
    if isinstance(node, dict):
        if node.get("type") in EMBEDDER_TYPES:
            yield path, node
            return
        for key, value in node.items():
            yield from embedder_configs(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from embedder_configs(item, f"{path}[{index}]")


def archived_model_config(config: Dict[str, Any], serialization_dir: str) -> None:
    """
    Prepares the config of an archive's model for loading (in place; `config` is the whole
    config, with any overrides applied):

    - every multilingual embedder reads its ELMo files from the archive's copies where it has them,
      so the archive loads from any folder;
    - an override that changes an archived embedder's ELMo or alignment files is refused: the
      archive's copies and its `weights.th` (which holds the alignments) would win over the given
      files, so it would be silently ignored;
    - an `activation_cache` of the training config is dropped (evaluation and prediction write
      nothing outside their outputs) unless the overrides set one.
    """
    with open(os.path.join(serialization_dir, "config.json"), encoding="utf-8") as f:
        archived = dict(embedder_configs(json.load(f).get("model", {}), "model"))
    for path, embedder in embedder_configs(config.get("model", {}), "model"):
        before = archived.get(path, {})
        for key in FILE_NAMES:
            if (embedder.get(key) or {}) != (before.get(key) or {}):
                raise ConfigurationError(
                    f"The overrides change {path}.{key}, which an archive cannot honour: it "
                    "keeps each language's ELMo files and alignment inside (elmo_files/ and "
                    "weights.th), and they would win over the given files. To add a language "
                    "or swap a language's biLM or alignment, write a new archive with `allennlp "
                    "elmo-add-language ARCHIVE NEW_ARCHIVE --lang LANG ...` (with --replace for "
                    "a language the archive has)"
                )
        if embedder.get("activation_cache") == before.get("activation_cache"):
            embedder.pop("activation_cache", None)
        _localize(embedder, serialization_dir)


def _localize(embedder: Dict[str, Any], serialization_dir: str) -> None:
    folder = os.path.join(serialization_dir, ARCHIVE_FOLDER)
    for key, name in FILE_NAMES.items():
        for language in embedder.get(key) or {}:
            copy = os.path.join(folder, language, name)
            if os.path.exists(copy):
                embedder[key][language] = copy
