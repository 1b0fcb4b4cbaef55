"""
B15: archives of a model with the multilingual embedder are portable only for configs that ask.

AllenNLP puts into `model.tar.gz` the config, weights and vocabulary, plus the paths a config lists
in `include_in_archive`; it writes the archive under its final name as it goes, and loads a model
from the config's file paths. A config without `include_in_archive: ["elmo_files"]` made archives
that fail on another machine or from another folder ("Could not read the ELMo options file"),
a kill while archiving left a truncated `model.tar.gz`, `-o` overrides of an archive's ELMo or
alignment paths were silently ignored (the archived copies and `weights.th` won), and loading an
archive for `evaluate`, `predict` or `parse` re-created the training's activation cache in the
working folder. The patch wraps `archive_model` (in `allennlp.models.archival` and where
`allennlp.commands.train` imported it) to add the serialization folder's `elmo_files/` whenever it
exists and to write the archive under a temporary name, renamed when complete; and wraps
`allennlp.models.archival._load_model` to prepare the config with `archived_model_config`
(archive copies, overrides refused, no activation cache unless the overrides set one).
"""

import functools
import os
from typing import Any, Callable, List, Optional

from allennlp.commands import train as train_command
from allennlp.models import archival

from allennlp_multilang_elmo.compat._patching import replace_attribute, written_for

ELMO_FILES = "elmo_files"


def _with_elmo_files(archive_model: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(archive_model)
    def wrapper(
        serialization_dir: Any,
        weights: str = archival._DEFAULT_WEIGHTS,
        archive_path: Optional[Any] = None,
        include_in_archive: Optional[List[str]] = None,
    ) -> str:
        from allennlp_multilang_elmo.common.atomic_files import atomic_file

        include = list(include_in_archive or [])
        if os.path.isdir(os.path.join(serialization_dir, ELMO_FILES)) and ELMO_FILES not in include:
            include.append(ELMO_FILES)
        final = os.path.join(serialization_dir, "model.tar.gz")
        if archive_path is not None:
            final = str(archive_path)
            if os.path.isdir(final):
                final = os.path.join(final, "model.tar.gz")
        with atomic_file(final) as temporary:
            archive_model(serialization_dir, weights, temporary, include or None)
        return final

    return wrapper


def _preparing_the_config(load_model: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(load_model)
    def wrapper(config: Any, weights_path: str, serialization_dir: str, cuda_device: int) -> Any:
        from allennlp_multilang_elmo.modules.elmo_archive_files import archived_model_config

        archived_model_config(config.params, serialization_dir)
        return load_model(config, weights_path, serialization_dir, cuda_device)

    return wrapper


# AllenNLP's archival, whatever the torch version.
VERSIONS = {"allennlp": "==2.10.1"}
"""The installed versions this patch was written for (see `written_for`)."""


def apply() -> None:
    """Makes archives carry their ELMo files, appear whole, and load them from inside."""
    if not written_for("B15 (elmo_archives)", VERSIONS):
        return
    replace_attribute(archival, "archive_model", _with_elmo_files)
    replace_attribute(train_command, "archive_model", _with_elmo_files)
    replace_attribute(archival, "_load_model", _preparing_the_config)
