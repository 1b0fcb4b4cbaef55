"""
Portable archives: each language's ELMo files travel inside the model archive, once.

Frozen biLM weights are left out of every state dict (see `ElmoBiLm`), so checkpoints and the
archive's `weights.th` hold only what training changes. The `elmo_files_in_archive` trainer
callback copies each language's options, weight and alignment files into
`<serialization_dir>/elmo_files/<lang>/`, which the config's `include_in_archive: ["elmo_files"]`
puts into `model.tar.gz`. When the archive is loaded, `localize_elmo_files` points the model
config at those copies, so the archive works from any folder, on a machine without the original
files.
"""

import os
import shutil
from typing import Any, Dict

import torch
from allennlp.common import Params
from allennlp.common.file_utils import cached_path

from allennlp_multilang_elmo.common.atomic_files import atomic_file
from allennlp_multilang_elmo.modules.token_embedders import multilang_embedders

ARCHIVE_FOLDER = "elmo_files"
_FILE_NAMES = {
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
                target = os.path.join(directory, _FILE_NAMES[key])
                if path and not os.path.exists(target):
                    with atomic_file(target) as temporary:
                        shutil.copyfile(cached_path(path), temporary)
                    copied += 1
    return copied


def localize_elmo_files(params: Params, serialization_dir: str) -> None:
    """
    Points every multilingual embedder's file paths in `params` (a model config, changed in place)
    at the copies in `serialization_dir`, where a copy exists.
    """
    folder = os.path.join(serialization_dir, ARCHIVE_FOLDER)
    if not os.path.isdir(folder):
        return

    def visit(node: Dict[str, Any]) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                if key in _FILE_NAMES and all(isinstance(v, str) for v in value.values()):
                    for language in value:
                        copy = os.path.join(folder, language, _FILE_NAMES[key])
                        if os.path.exists(copy):
                            value[language] = copy
                else:
                    visit(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        visit(item)

    visit(params.params)
