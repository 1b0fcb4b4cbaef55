"""
Alignment files from anchors: the file-level side of `allennlp elmo-align`. One `.vec` pair gives a
`(dim, dim)` matrix, two `elmo-anchors` folders give a `(num_layers, dim, dim)` stack (each map
that of the refinement round best on validation pairs); either is written as a float32 tensor with
`torch.save`, with a JSON report of every round beside it, all or nothing.
"""

import json
import os
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy
import torch

from allennlp_multilang_elmo.alignment.anchors import (
    ANCHORS_JSON,
    anchors_vec_name,
    check_anchor_files,
)
from allennlp_multilang_elmo.alignment.dictionary import identical_strings, read_dictionary
from allennlp_multilang_elmo.alignment.procrustes import learn_alignment
from allennlp_multilang_elmo.alignment.word_vectors import read_word_vectors
from allennlp_multilang_elmo.common.atomic_files import atomic_outputs
from allennlp_multilang_elmo.modules.alignment_matrix import load_alignment_matrix

SCALES = ("none", "mean-norm")
"""
How the maps are scaled. `"none"`: the orthogonal `W`, mapping the source onto the target's own
space. `"mean-norm"`, as the authors' released matrices: the shared space is the target's divided
by its mean token norm, so the target gets the matrix `I / n_target` (written to `target_output`)
and the source `W / n_source`, where `n` is the layer's mean L2 norm of all token vectors, from the
`anchors.json` beside the vectors.
"""


def report_path(output: str) -> str:
    """Where the JSON report of the alignment file `output` goes: the same name, `.json`."""
    return os.path.splitext(output)[0] + ".json"


def _anchors_summary(vec_file: str) -> Optional[Dict[str, Any]]:
    """
    The `anchors.json` beside `vec_file` if it is an `elmo-anchors` output (`anchors_layer<L>.vec`
    beside `anchors.json`), after checking that `vec_file` is of that run; else `None`.
    """
    directory, name = os.path.split(vec_file)
    if not re.fullmatch(r"anchors_layer\d+\.vec", name):
        return None
    if not os.path.isfile(os.path.join(directory, ANCHORS_JSON)):
        return None
    return check_anchor_files(directory or ".", [name])


def _mean_norm(vec_file: str) -> float:
    summary = _anchors_summary(vec_file)
    if summary is None:
        raise ValueError(
            f"--scale mean-norm needs the mean norm of {vec_file!r}: an elmo-anchors output "
            f"(anchors_layer<L>.vec beside {ANCHORS_JSON})"
        )
    layer = re.search(r"(\d+)\.vec$", vec_file).group(1)  # type: ignore[union-attr]
    return float(summary["mean_norms"][layer])


def _align_one(
    source_vec: str,
    target_vec: str,
    dictionary: Optional[str],
    scale: str,
    test_dictionary: Optional[str] = None,
    initial: Optional[numpy.ndarray] = None,
    **options: Any,
) -> Tuple[numpy.ndarray, numpy.ndarray, Dict[str, Any]]:
    """
    The source's and target's matrices for one pair of `.vec` files, and the report; `initial`
    is the map that round 0 starts from instead of Procrustes on the seed.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: one of {', '.join(SCALES)}")
    for vec_file in (source_vec, target_vec):
        _anchors_summary(vec_file)  # a file of another run than its anchors.json is refused
    source, target = read_word_vectors(source_vec), read_word_vectors(target_vec)
    if dictionary:
        pairs = read_dictionary(dictionary)
    else:
        pairs = identical_strings(source.words, target.words)
    test_pairs = read_dictionary(test_dictionary) if test_dictionary else None
    try:
        matrix, report = learn_alignment(
            source, target, pairs, test_pairs=test_pairs, initial=initial, **options
        )
    except ValueError as error:
        seed = dictionary or "the identical strings of both (or pass --dictionary)"
        test = f", test dictionary {test_dictionary}" if test_dictionary else ""
        raise ValueError(
            f"aligning {source_vec} onto {target_vec}, seed dictionary {seed}{test}: {error}"
        ) from error
    target_matrix = numpy.eye(len(matrix))
    report.update(
        source=source_vec,
        target=target_vec,
        dictionary=dictionary,
        test_dictionary=test_dictionary,
        scale=scale,
    )
    if scale == "mean-norm":
        source_norm, target_norm = _mean_norm(source_vec), _mean_norm(target_vec)
        matrix, target_matrix = matrix / source_norm, target_matrix / target_norm
        report.update(source_mean_norm=source_norm, target_mean_norm=target_norm)
    return matrix, target_matrix, report


def _write(
    output: str, target_output: Optional[str], matrix: numpy.ndarray, target_matrix, report
) -> None:
    with atomic_outputs() as outputs:
        torch.save(torch.tensor(matrix, dtype=torch.float32), outputs.path(output))
        if target_output:
            torch.save(
                torch.tensor(target_matrix, dtype=torch.float32), outputs.path(target_output)
            )
        with open(outputs.path(report_path(output)), "w") as f:
            json.dump(report, f, indent=2, ensure_ascii=False)


def _check_outputs(output: str, scale: str, target_output: Optional[str]) -> None:
    if (scale == "mean-norm") != bool(target_output):
        raise ValueError("--target-output is needed with --scale mean-norm, and only with it")
    # Every file this command writes must be its own.
    files = {"--output": output, "the report": report_path(output)}
    if target_output:
        files["--target-output"] = target_output
    seen: Dict[str, str] = {}
    for name, path in files.items():
        other = seen.setdefault(os.path.abspath(path), name)
        if other != name:
            raise ValueError(
                f"{other} and {name} would both be {path}; the report is the output's name with "
                "'.json', so give the matrices other names (e.g. es.pth and en.pth)"
            )


def align_vectors(
    source_vec: str,
    target_vec: str,
    output: str,
    dictionary: Optional[str] = None,
    scale: str = "none",
    target_output: Optional[str] = None,
    test_dictionary: Optional[str] = None,
    initial_alignment: Optional[str] = None,
    **options: Any,
) -> Dict[str, Any]:
    """
    Learns the `(dim, dim)` map from the word2vec file `source_vec` onto `target_vec` (see
    `procrustes.learn_alignment`, whose keyword arguments `options` passes on), from `dictionary`
    (MUSE format) or else the identical strings, and writes it to `output` with the report
    (returned) at `report_path(output)`; with `scale="mean-norm"` also the target's matrix to
    `target_output` (see `SCALES`). The test pairs are held out of `dictionary`, or with
    `test_dictionary` (MUSE format) they are that file's pairs. With `initial_alignment` (a
    `(dim, dim)` alignment file), round 0 is that map instead of Procrustes on the seed.
    """
    _check_outputs(output, scale, target_output)
    initial = None
    if initial_alignment:
        with open(source_vec, encoding="utf-8") as f:
            dim = int(f.readline().split()[1])
        initial = _initial_maps(initial_alignment, dim)
    matrix, target_matrix, report = _align_one(
        source_vec, target_vec, dictionary, scale, test_dictionary, initial, **options
    )
    _write(output, target_output, matrix, target_matrix, report)
    return report


def _initial_maps(path: str, dim: int, num_layers: Optional[int] = None) -> numpy.ndarray:
    """
    The maps of the alignment file `path` (e.g. `elmo-align-parallel`'s) that refinement starts
    from: `(dim, dim)`, or with `num_layers` a `(num_layers, dim, dim)` stack.
    """
    maps = load_alignment_matrix(path, dim, None, num_layers).double().numpy()
    if num_layers is not None and maps.ndim != 3:
        raise ValueError(
            f"the initial alignment {path!r} is one (dim, dim) map; per-layer anchors need a "
            f"({num_layers}, {dim}, {dim}) stack, one map per layer"
        )
    return maps


def _anchor_layers(directory: str) -> Tuple[int, List[int]]:
    summary = check_anchor_files(directory, [])
    return summary["num_layers"], summary["layers"]


def align_anchor_layers(
    source_dir: str,
    target_dir: str,
    output: str,
    layers: Optional[Sequence[int]] = None,
    dictionary: Optional[str] = None,
    scale: str = "none",
    target_output: Optional[str] = None,
    test_dictionary: Optional[str] = None,
    initial_alignment: Optional[str] = None,
    **options: Any,
) -> Dict[str, Any]:
    """
    Learns one map per ELMo layer between two `elmo-anchors` output folders and writes them as one
    `(num_layers, dim, dim)` stack, which aligns each layer before the scalar mix. A per-layer file
    must cover every layer of the ELMo, in order: `layers` defaults to all of them and may not
    name fewer. With `initial_alignment` (a `(num_layers, dim, dim)` stack), each layer's round 0
    is its map. Other arguments as in `align_vectors`; the report has one entry per layer.
    """
    _check_outputs(output, scale, target_output)
    (source_count, source_layers), (target_count, target_layers) = (
        _anchor_layers(source_dir),
        _anchor_layers(target_dir),
    )
    if source_count != target_count:
        raise ValueError(
            f"the ELMo of {source_dir!r} has {source_count} layers, that of {target_dir!r} "
            f"{target_count}; a per-layer alignment needs the same number"
        )
    layers = list(range(source_count)) if layers is None else list(layers)
    if layers != list(range(source_count)):
        raise ValueError(
            f"a per-layer alignment file needs every layer of the ELMo in order, "
            f"{list(range(source_count))}, not {layers}; align single layers with their .vec files"
        )
    for directory, available in ((source_dir, source_layers), (target_dir, target_layers)):
        missing = sorted(set(layers) - set(available))
        if missing:
            raise ValueError(
                f"{directory!r} has no anchors of layers {missing} (elmo-anchors --layers)"
            )
    initial = None
    if initial_alignment:
        dim = check_anchor_files(source_dir, [])["dim"]
        initial = _initial_maps(initial_alignment, dim, source_count)
    matrices, target_matrices, reports = [], [], {}
    for layer in layers:
        matrix, target_matrix, report = _align_one(
            os.path.join(source_dir, anchors_vec_name(layer)),
            os.path.join(target_dir, anchors_vec_name(layer)),
            dictionary,
            scale,
            test_dictionary,
            None if initial is None else initial[layer],
            **options,
        )
        matrices.append(matrix)
        target_matrices.append(target_matrix)
        reports[str(layer)] = report
    report = {"layers": reports}
    _write(output, target_output, numpy.stack(matrices), numpy.stack(target_matrices), report)
    return report
