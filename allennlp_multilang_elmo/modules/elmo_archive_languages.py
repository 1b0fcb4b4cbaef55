"""
A trained parser's archive with one more language, or with a language's biLM or alignment swapped:
what `allennlp elmo-add-language` writes. The parser never changes (its weights are copied bit
for bit); only the multilingual embedder gains or changes a language: its ELMo files (inside the
archive, as for every language), its scalar mix and its alignment.
"""

import json
import os
import re
import shutil
import tarfile
import tempfile
import time
from typing import Any, Dict, List, Optional, Tuple

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.common.file_utils import cached_path

from allennlp_multilang_elmo.common.atomic_files import atomic_file
from allennlp_multilang_elmo.common.language_codes import check_language
from allennlp_multilang_elmo.modules.alignment_matrix import load_alignment_matrix
from allennlp_multilang_elmo.modules.elmo_archive_files import (
    ARCHIVE_FOLDER,
    FILE_NAMES,
    embedder_configs,
)
from allennlp_multilang_elmo.modules.elmo_weights import read_elmo_options, read_elmo_weights

_WEIGHTS = "weights.th"
_CONFIG = "config.json"
_SCALAR_MIX = re.compile(r"^(.*)_elmos\.([^.]+)\.scalar_mix\.(.+)$")


def add_language(
    archive_file: str,
    output_archive: str,
    language: str,
    options_file: Optional[str] = None,
    weight_file: Optional[str] = None,
    alignment_file: Optional[str] = None,
    no_alignment: bool = False,
    mix_from: Optional[str] = None,
    replace: bool = False,
) -> Dict[str, Any]:
    """
    Writes `output_archive`: `archive_file` (a trained model with `elmo_token_embedder_multilang`)
    that also parses `language`, with the biLM `options_file` + `weight_file` (paths or URLs)
    aligned by `alignment_file`, or by the identity with `no_alignment`. Its scalar mix is the
    config's fixed mix, or else the learned mix of `mix_from` (default: the parser's one training
    language, when it has one). With `replace`, `language` may be one the archive has: the given
    files (biLM, alignment or both) replace its own, everything else stays. The output appears
    only when complete, after it was loaded as a model. Returns a summary (languages, sizes,
    seconds). Every problem raises a `ConfigurationError` naming the file, language and sizes.
    """
    started = time.perf_counter()
    check_language(language)
    if alignment_file and no_alignment:
        raise ConfigurationError("Give --alignment-file or --no-alignment, not both")
    if os.path.lexists(output_archive):
        raise ConfigurationError(f"{output_archive} already exists; give a new output archive")
    if not os.path.isfile(cached_path(archive_file)):
        raise ConfigurationError(f"{archive_file}: no such model archive")
    with tempfile.TemporaryDirectory(prefix="elmo-add-language-") as folder:
        _extract(archive_file, folder)
        with open(os.path.join(folder, _CONFIG), encoding="utf-8") as f:
            config = json.load(f)
        path, embedder = _the_embedder(config, archive_file)
        languages = sorted(embedder["options_files"])
        exists = language in languages
        if exists and not replace:
            raise ConfigurationError(
                f"The archive {archive_file} has language {language!r} already "
                f"({', '.join(languages)}); pass --replace to swap its biLM or alignment"
            )
        if embedder.get("requires_grad"):
            raise ConfigurationError(
                f"The archive {archive_file} fine-tunes its biLMs ({path}.requires_grad); a "
                "language added afterwards would have no fine-tuned weights"
            )
        if not exists and not (options_file and weight_file):
            raise ConfigurationError("A new language needs --options-file and --weight-file")
        if not exists and not (alignment_file or no_alignment):
            raise ConfigurationError(
                f"Give language {language!r} an --alignment-file onto the shared space, or "
                "--no-alignment for the identity (the 'not aligned' setting)"
            )
        if bool(options_file) != bool(weight_file):
            raise ConfigurationError("--options-file and --weight-file go together")
        if exists and not (options_file or alignment_file or no_alignment or mix_from):
            raise ConfigurationError(f"--replace of {language!r}: give what to replace")

        files = os.path.join(folder, ARCHIVE_FOLDER)
        dim, num_layers = _sizes(embedder, languages, language, files)
        if options_file and weight_file:
            options = read_elmo_options(options_file, language)
            read_elmo_weights(weight_file, options, language)  # checks every dataset
            new_sizes = (2 * options["lstm"]["projection_dim"], options["lstm"]["n_layers"] + 1)
            if new_sizes != (dim, num_layers):
                raise ConfigurationError(
                    f"The ELMo of {options_file!r} (language {language!r}) gives "
                    f"{new_sizes[0]}-dimensional vectors in {new_sizes[1]} layers, but the "
                    f"parser of {archive_file} reads {dim} dimensions in {num_layers} layers"
                )
        alignment = None
        if alignment_file:
            alignment = load_alignment_matrix(alignment_file, dim, language, num_layers)

        state = torch.load(os.path.join(folder, _WEIGHTS), map_location="cpu", weights_only=True)
        prefix = _embedder_prefix(state, archive_file)
        fixed_mix = embedder.get("scalar_mix_parameters") is not None
        source = mix_from or (None if exists else _default_mix_source(config, languages, fixed_mix))
        if source is not None:
            if source not in languages:
                raise ConfigurationError(
                    f"--mix-from {source!r} is not a language of {archive_file} "
                    f"({', '.join(languages)})"
                )
            for key in [k for k in state if k.startswith(f"{prefix}_elmos.{language}.scalar_mix.")]:
                del state[key]
            for key in [k for k in state if k.startswith(f"{prefix}_elmos.{source}.scalar_mix.")]:
                state[key.replace(f"_elmos.{source}.", f"_elmos.{language}.", 1)] = state[key]

        directory = os.path.join(files, language)
        os.makedirs(directory, exist_ok=True)
        if options_file and weight_file:
            embedder["options_files"][language] = options_file
            embedder["weight_files"][language] = weight_file
            shutil.copyfile(
                cached_path(options_file), os.path.join(directory, FILE_NAMES["options_files"])
            )
            shutil.copyfile(
                cached_path(weight_file), os.path.join(directory, FILE_NAMES["weight_files"])
            )
        alignment_key = f"{prefix}_elmos.{language}.alignment"
        if alignment_file or no_alignment:
            aligning_files = embedder.get("aligning_files") or {}
            embedder["aligning_files"] = aligning_files
            alignment_copy = os.path.join(directory, FILE_NAMES["aligning_files"])
            state.pop(alignment_key, None)
            aligning_files.pop(language, None)
            if os.path.exists(alignment_copy):
                os.remove(alignment_copy)
            if alignment_file and alignment is not None:
                aligning_files[language] = alignment_file
                state[alignment_key] = alignment
                shutil.copyfile(cached_path(alignment_file), alignment_copy)

        with open(os.path.join(folder, _CONFIG), "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)
        torch.save(state, os.path.join(folder, _WEIGHTS))
        with atomic_file(output_archive) as temporary:
            with tarfile.open(temporary, "w:gz") as archive:
                for name in sorted(os.listdir(folder)):
                    archive.add(os.path.join(folder, name), arcname=name)
            _check_loads(temporary, language)
    return {
        "languages": sorted(set(languages) | {language}),
        "language": language,
        "dim": dim,
        "num_layers": num_layers,
        "aligned": alignment_key in state,
        "mix_from": source,
        "seconds": time.perf_counter() - started,
    }


def _extract(archive_file: str, folder: str) -> None:
    try:
        with tarfile.open(cached_path(archive_file)) as archive:
            # The "data" filter refuses absolute paths, links out of the folder and devices.
            archive.extractall(folder, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise ConfigurationError(f"{archive_file}: not a model archive ({error})") from None
    for name in (_CONFIG, _WEIGHTS):
        if not os.path.isfile(os.path.join(folder, name)):
            raise ConfigurationError(f"{archive_file}: not a model archive (it has no {name})")


def _the_embedder(config: Dict[str, Any], archive_file: str) -> Tuple[str, Dict[str, Any]]:
    found = list(embedder_configs(config.get("model", {}), "model"))
    if len(found) != 1:
        raise ConfigurationError(
            f"{archive_file}: its model has {len(found)} multilingual ELMo embedders "
            "(elmo_token_embedder_multilang); a language can be added to a model with one"
        )
    return found[0]


def _sizes(
    embedder: Dict[str, Any], languages: List[str], language: str, files: str
) -> Tuple[int, int]:
    """The output dimension and layer count of the archive's biLMs (other than `language`)."""
    reference = next((lang for lang in languages if lang != language), languages[0])
    copy = os.path.join(files, reference, FILE_NAMES["options_files"])
    path = copy if os.path.exists(copy) else embedder["options_files"][reference]
    options = read_elmo_options(path, reference)
    return 2 * options["lstm"]["projection_dim"], options["lstm"]["n_layers"] + 1


def _embedder_prefix(state: Dict[str, torch.Tensor], archive_file: str) -> str:
    prefixes = {match.group(1) for match in map(_SCALAR_MIX.match, state) if match}
    if len(prefixes) != 1:
        raise ConfigurationError(
            f"{archive_file}: its weights hold no single multilingual ELMo embedder's scalar mixes"
        )
    return prefixes.pop()


def _default_mix_source(config: Dict[str, Any], languages: List[str], fixed: bool) -> str:
    """
    Where a new language's scalar mix comes from: with a fixed mix any language (all have the
    same), else the one language the parser was trained on.
    """
    if fixed:
        return languages[0]
    model, reader = config.get("model", {}), config.get("dataset_reader", {})
    trained = model.get("langs_for_early_stop") or reader.get("languages")
    if trained and len(trained) == 1 and trained[0] in languages:
        return trained[0]
    raise ConfigurationError(
        "The parser learned a scalar mix per language; give --mix-from LANG, the language whose "
        f"learned layer weights the new language should use (the archive has "
        f"{', '.join(languages)}" + (f"; trained on {', '.join(trained)})" if trained else ")")
    )


def _check_loads(archive_file: str, language: str) -> None:
    from allennlp.models.archival import load_archive

    try:
        load_archive(archive_file)
    except Exception as error:
        raise ConfigurationError(
            f"The archive with language {language!r} does not load: {error}"
        ) from error
