"""
Alignment from parallel text, the library side of `allennlp elmo-align-parallel`: each aligned token
pair of a sentence-aligned corpus gives one pair of contextual vectors per ELMo layer (the source
biLM's on the source sentence, the target biLM's on the target sentence), and the map of a layer is
the orthogonal Procrustes solution from their cross-covariance (`cross_covariance`), learned from
contextual vectors rather than from the type-level anchors of `elmo-align` (as Aldarmaki and Diab,
2019; Wang et al., 2019; Cao, Kitaev and Klein, 2020). The word alignment comes from eflomal or a
Pharaoh file (`word_alignment`). The output is what `elmo-align` writes: a float32 `(dim, dim)`
matrix or `(num_layers, dim, dim)` stack saved with `torch.save`, and a JSON report beside it
(`align.report_path`), all or nothing. A large corpus can be summed as shards, each writing its
partial sums to a folder (`align_parallel(shard=...)`, anywhere, in parallel), and the shards merged
into the same map (`merge_parallel_shards`): the sums add exactly.
"""

import json
import logging
import os
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy
import torch
from allennlp.common.tqdm import Tqdm
from allennlp.nn.util import remove_sentence_boundaries

from allennlp_multilang_elmo.alignment.align import report_path
from allennlp_multilang_elmo.alignment.anchors import (
    AnchorAccumulator,
    anchors_vec_name,
    character_ids,
    check_anchor_files,
)
from allennlp_multilang_elmo.alignment.cross_covariance import (
    CrossCovariance,
    PartialCrossCovariance,
    PartialTypePairSums,
    TypePairSums,
    means_cross_covariance,
    merge_cross_covariances,
    merge_type_pair_sums,
    orthogonal_maps,
    singular_values,
)
from allennlp_multilang_elmo.alignment.dictionary import Pairs, read_dictionary
from allennlp_multilang_elmo.alignment.procrustes import precision_at_1, self_translated
from allennlp_multilang_elmo.alignment.word_alignment import (
    SYMMETRIZATIONS,
    Links,
    check_line_counts,
    eflomal_alignment,
    eflomal_version,
    filter_links,
    format_links,
    read_pharaoh,
)
from allennlp_multilang_elmo.alignment.word_vectors import WordVectors, read_word_vectors
from allennlp_multilang_elmo.common.atomic_files import atomic_folder, atomic_outputs
from allennlp_multilang_elmo.common.file_hash import file_hash
from allennlp_multilang_elmo.common.shards import check_shard_set
from allennlp_multilang_elmo.common.text_files import numbered_lines
from allennlp_multilang_elmo.data.tokenizers.language_rules_tokenizer import (
    LanguageRulesTokenizer,
)
from allennlp_multilang_elmo.modules.elmo_bilm import BiLm, build_bilm

logger = logging.getLogger(__name__)

EFLOMAL = "eflomal"
"""The `word_alignment` that runs eflomal instead of reading a file."""


class ParallelCorpus(NamedTuple):
    path: str
    line_count: int
    """All lines of the file (also those beyond `max_pairs`)."""
    source: List[List[str]]
    """The tokens of each pair's source side."""
    target: List[List[str]]
    tokenization: Dict[str, str]
    """`{"source": ..., "target": ...}`: `"whitespace"` or `"rules of 'LANG'"`."""


def read_parallel(
    path: str,
    languages: Optional[Tuple[str, str]] = None,
    max_pairs: Optional[int] = None,
    max_sentence_length: int = 400,
    columns: Tuple[int, int] = (0, 1),
) -> ParallelCorpus:
    """
    The sentence pairs of the tab-separated file `path`, one pair a line (every line: a word
    alignment file matches the corpus line for line), the source in column `columns[0]` and the
    target in `columns[1]` (0-based), the first `max_pairs` of them, raw text split by the
    `language_rules` tokenizers of `languages` (source, target), or, with `None`, tokenised text
    split at whitespace. A line with another number of columns than the first line (or too few
    for `columns`), an empty side and a side longer than `max_sentence_length` tokens raise
    `ValueError` naming the file and line.
    """
    if not os.path.isfile(path):
        raise ValueError(f"the parallel file {path!r} does not exist")
    if languages is None:
        splitters = [LanguageRulesTokenizer(pretokenized=True)] * 2
        tokenization = ["whitespace"] * 2
    else:
        splitters = [LanguageRulesTokenizer(language) for language in languages]
        tokenization = [f"rules of {language!r}" for language in languages]
    source: List[List[str]] = []
    target: List[List[str]] = []
    if len(columns) != 2 or columns[0] == columns[1] or min(columns) < 0:
        raise ValueError(f"columns (--columns) are two different 0-based columns, not {columns}")
    line_count = 0
    expected: Optional[int] = None  # columns of every line: those of line 1
    for line_count, line in numbered_lines(path):
        if max_pairs is not None and len(source) >= max_pairs:
            continue  # counted only, for the check against a word alignment file
        fields = line.split("\t")
        count = f"{len(fields)} tab-separated column" + ("s" if len(fields) > 1 else "")
        count += " (a blank line)" if not line.strip() else ""
        if expected is None:
            expected = len(fields)
            if expected <= max(columns):
                raise ValueError(
                    f"{path}, line {line_count}: no column {max(columns)} (columns count from 0; "
                    f"the line has {count}); every line must be one sentence pair"
                )
        if len(fields) != expected:
            raise ValueError(
                f"{path}, line {line_count}: {count}, but line 1 has {expected}; every line must "
                "be one sentence pair (a tab inside a sentence?)"
            )
        fields = [fields[column] for column in columns]
        sides = [splitter.words(field) for splitter, field in zip(splitters, fields)]
        for side, words in zip(("source", "target"), sides):
            if not words:
                raise ValueError(
                    f"{path}, line {line_count}: the {side} side is empty; every line needs a "
                    "sentence on both sides (remove the line, and its line of a word alignment "
                    "file)"
                )
            if len(words) > max_sentence_length:
                raise ValueError(
                    f"{path}, line {line_count}: the {side} side has {len(words)} tokens, more "
                    f"than the maximum of {max_sentence_length}; split the pair, or raise the "
                    "maximum (--max-sentence-length)"
                )
        source.append(sides[0])
        target.append(sides[1])
    if not source:
        raise ValueError(f"the parallel file {path!r} holds no sentence pairs")
    return ParallelCorpus(
        path, line_count, source, target, dict(zip(("source", "target"), tokenization))
    )


def word_alignment_links(
    corpus: ParallelCorpus, word_alignment: str = EFLOMAL, symmetrization: str = "intersection"
) -> Tuple[List[Links], Dict[str, Any]]:
    """
    The links of every sentence pair of `corpus`: from eflomal (`word_alignment="eflomal"`, see
    `word_alignment.eflomal_alignment`) or from the Pharaoh file `word_alignment`, which must have
    one line per line of the parallel file (or per pair read, as a run with `max_pairs` writes
    it), with indices of the tokens as tokenised here. Returns
    them with a report of where they come from and how many there are.
    """
    if symmetrization not in SYMMETRIZATIONS:
        raise ValueError(
            f"unknown symmetrisation {symmetrization!r}: one of {', '.join(SYMMETRIZATIONS)}"
        )
    report: Dict[str, Any] = {"source": word_alignment}
    if word_alignment == EFLOMAL:
        links, counts = eflomal_alignment(corpus.source, corpus.target, symmetrization)
        report.update(eflomal_version=eflomal_version(), symmetrization=symmetrization, **counts)
    else:
        if not os.path.isfile(word_alignment):
            raise ValueError(
                f"the word alignment file {word_alignment!r} does not exist; give a Pharaoh file "
                f"('i-j' links per line) or {EFLOMAL!r}"
            )
        check_line_counts(word_alignment, corpus.path, corpus.line_count, len(corpus.source))
        lengths = [(len(s), len(t)) for s, t in zip(corpus.source, corpus.target)]
        links = list(read_pharaoh(word_alignment, lengths, corpus.path))
        report["sha256"] = file_hash(word_alignment)
    report["links"] = sum(map(len, links))
    return links, report


class ParallelSums(NamedTuple):
    """What one pass over a parallel corpus accumulates."""

    cross: PartialCrossCovariance
    """Over the aligned token pairs."""
    type_pairs: Optional[PartialTypePairSums]
    """Per aligned word-type pair, if asked for."""
    source_anchors: Optional[AnchorAccumulator]
    """The anchors of the source side's words (every token), if asked for."""
    target_anchors: Optional[AnchorAccumulator]


def _token_vectors(
    bilm: BiLm, batch: Sequence[Sequence[str]], layers: Sequence[int]
) -> torch.Tensor:
    """The `(len(layers), num_tokens, dim)` vectors of `batch`'s tokens, in sentence order."""
    device = next(bilm.parameters()).device
    output = bilm(character_ids(batch).to(device), num_layers=max(layers) + 1)
    side_by_side = torch.cat([output["activations"][layer] for layer in layers], dim=-1)
    activations, mask = remove_sentence_boundaries(side_by_side, output["mask"])
    tokens = activations[mask].view(-1, len(layers), bilm.get_output_dim())
    return tokens.transpose(0, 1)


def _offsets(batch: Sequence[Sequence[str]]) -> List[int]:
    offsets = [0]
    for sentence in batch[:-1]:
        offsets.append(offsets[-1] + len(sentence))
    return offsets


def parallel_sums(
    source_bilm: BiLm,
    target_bilm: BiLm,
    source: Sequence[Sequence[str]],
    target: Sequence[Sequence[str]],
    links: Sequence[Links],
    layers: Sequence[int],
    batch_size: int = 64,
    type_level: bool = False,
    anchors: bool = False,
) -> ParallelSums:
    """
    Runs `source_bilm` over the `source` sentences and `target_bilm` over the `target` sentences,
    in batches of the same pairs, and accumulates the vectors of `layers` of every link of
    `links` (per pair, `(source index, target index)`); with `type_level` also per word-type pair,
    with `anchors` also the anchors of all tokens of each side. Memory: `(layers, dim, dim)`,
    plus what `type_level` and `anchors` keep. The biLMs' state carries from batch to batch on
    each side, as in `elmo-anchors`, unless they are deterministic.
    """
    if not len(source) == len(target) == len(links):
        raise ValueError(
            f"{len(source)} source sentences, {len(target)} target sentences and {len(links)} "
            "lines of links"
        )
    device = next(source_bilm.parameters()).device
    dim = source_bilm.get_output_dim()
    cross = CrossCovariance(len(layers), dim, device)
    type_pairs = TypePairSums(len(layers), dim, device) if type_level else None
    source_anchors = AnchorAccumulator(len(layers), dim, device=device) if anchors else None
    target_anchors = AnchorAccumulator(len(layers), dim, device=device) if anchors else None
    progress = Tqdm.tqdm(range(0, len(source), batch_size), desc="parallel", unit=" batches")
    with torch.no_grad():
        for start in progress:
            stop = start + batch_size
            source_batch, target_batch = source[start:stop], target[start:stop]
            source_vectors = _token_vectors(source_bilm, source_batch, layers)
            target_vectors = _token_vectors(target_bilm, target_batch, layers)
            if not (torch.isfinite(source_vectors).all() and torch.isfinite(target_vectors).all()):
                raise ValueError(
                    f"a biLM gives NaN or infinite vectors on sentence pairs {start + 1} to "
                    f"{start + len(source_batch)}; check its weights"
                )
            source_offsets, target_offsets = _offsets(source_batch), _offsets(target_batch)
            rows: List[Tuple[int, int]] = []
            words: List[Tuple[str, str]] = []
            for number, pair_links in enumerate(links[start:stop]):
                for i, j in pair_links:
                    rows.append((source_offsets[number] + i, target_offsets[number] + j))
                    words.append((source_batch[number][i], target_batch[number][j]))
            if rows:
                index = torch.tensor(rows, dtype=torch.long, device=device)
                x, y = source_vectors[:, index[:, 0]], target_vectors[:, index[:, 1]]
                cross.add(x, y)
                if type_pairs is not None:
                    type_pairs.add(words, x, y)
            if source_anchors is not None and target_anchors is not None:
                source_anchors.add(source_batch, source_vectors)
                target_anchors.add(target_batch, target_vectors)
    return ParallelSums(
        cross.partial(),
        None if type_pairs is None else type_pairs.partial(),
        source_anchors,
        target_anchors,
    )


def learn_maps(
    sums: ParallelSums, center: bool = False, type_level: bool = False
) -> Tuple[numpy.ndarray, PartialCrossCovariance]:
    """
    The `(num_layers, dim, dim)` maps from `sums` (token pairs, or with `type_level` the means of
    the type pairs), with `center` on pairs centred by their means, and the sums they come from.
    """
    if type_level:
        if sums.type_pairs is None:
            raise ValueError("the type-level variant needs sums accumulated with type_level")
        cross = means_cross_covariance(sums.type_pairs)
    else:
        cross = sums.cross
    return orthogonal_maps(cross, center), cross


def _parallel_anchor_vectors(
    sums: ParallelSums, layers: Sequence[int]
) -> List[Tuple[WordVectors, WordVectors]]:
    """Per layer, the source's and target's anchors over the parallel text itself."""
    if sums.source_anchors is None or sums.target_anchors is None:
        raise ValueError("the dictionary evaluation needs the anchors of the parallel text")
    source, target = sums.source_anchors.anchors(), sums.target_anchors.anchors()
    return [
        (
            WordVectors(source.words, source.vectors[position]),
            WordVectors(target.words, target.vectors[position]),
        )
        for position in range(len(layers))
    ]


def read_anchor_vectors(
    anchor_dirs: Tuple[str, str],
    layers: Sequence[int],
    weight_files: Tuple[str, str],
    weight_hashes: Optional[Tuple[str, str]] = None,
) -> List[Tuple[WordVectors, WordVectors]]:
    """
    Per layer, the anchors of the `elmo-anchors` folders `anchor_dirs` (source, target), after
    checking that they are of the biLMs of `weight_files` (the SHA-256 their summary records
    against `weight_hashes`, by default those of the files).
    """
    if weight_hashes is None:
        weight_hashes = (file_hash(weight_files[0]), file_hash(weight_files[1]))
    for directory, weight_file, weight_hash in zip(anchor_dirs, weight_files, weight_hashes):
        summary = check_anchor_files(directory, [])  # also refuses a folder that is no anchors
        recorded = summary.get("weight_file_sha256")
        if recorded is not None and recorded != weight_hash:
            raise ValueError(
                f"the anchors of {directory!r} are of the biLM {summary.get('weight_file')!r}, "
                f"not of {weight_file!r} (their SHA-256 differ): give the anchors of the biLMs "
                "aligned"
            )
    vectors = []
    for layer in layers:
        name = anchors_vec_name(layer)
        pair = []
        for directory in anchor_dirs:
            check_anchor_files(directory, [name])
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
                raise ValueError(
                    f"{directory!r} has no anchors of layer {layer} ({name}); compute them with "
                    "elmo-anchors --layers"
                )
            pair.append(read_word_vectors(path))
        vectors.append((pair[0], pair[1]))
    return vectors


def dictionary_precision(
    maps: numpy.ndarray,
    vectors: Sequence[Tuple[WordVectors, WordVectors]],
    pairs: Pairs,
    csls_k: int = 10,
    keep_identical: bool = False,
) -> List[Dict[str, Any]]:
    """
    Per layer, the precision@1 of `maps[layer]` on the dictionary `pairs`, as `elmo-align` measures
    its test pairs (`procrustes.precision_at_1`: nearest neighbour and CSLS with `csls_k`,
    retrieving among all target words of `vectors`), on the pairs whose words both have vectors,
    less those of source words the dictionary translates by themselves unless `keep_identical`.
    """
    results = []
    for matrix, (source, target) in zip(maps, vectors):
        source_rows = {word: row for row, word in enumerate(source.words)}
        target_rows = {word: row for row, word in enumerate(target.words)}
        usable = [(s, t) for s, t in pairs if s in source_rows and t in target_rows]
        excluded = set() if keep_identical else self_translated(usable)
        test = [(s, t) for s, t in usable if s not in excluded]
        gold: Dict[int, List[int]] = {}
        for s, t in test:
            gold.setdefault(source_rows[s], []).append(target_rows[t])
        results.append(
            {
                "dictionary_pairs": len(pairs),
                "usable_pairs": len(usable),
                "excluded_identical_pairs": len(usable) - len(test),
                "test_pairs": len(test),
                "precision_at_1": (
                    precision_at_1(source.vectors @ matrix.T, target.vectors, gold, csls_k)
                    if gold
                    else None
                ),
            }
        )
    return results


def _check_layers(
    layers: Optional[Sequence[int]], source_bilm: BiLm, target_bilm: BiLm, files: Sequence[str]
) -> List[int]:
    counts = (source_bilm.num_layers, target_bilm.num_layers)
    if layers is None:
        if counts[0] != counts[1]:
            raise ValueError(
                f"the biLM of {files[0]} has {counts[0]} layers and that of {files[1]} "
                f"{counts[1]}; a per-layer alignment needs the same number (or give --layers)"
            )
        return list(range(counts[0]))
    layers = list(layers)
    available = min(counts)
    if not layers or any(not 0 <= layer < available for layer in layers):
        raise ValueError(f"layers {layers}: these biLMs have layers 0 to {available - 1}")
    if len(layers) > 1 and (counts[0] != counts[1] or layers != list(range(counts[0]))):
        raise ValueError(
            f"layers {layers}: a per-layer alignment file needs every layer of the biLMs in "
            f"order, {list(range(counts[0]))}, and biLMs of as many layers; or give one layer "
            "for a (dim, dim) map"
        )
    return layers


def _check_outputs(output: str, write_word_alignment: Optional[str]) -> Dict[str, str]:
    files = {"--output": output, "the report": report_path(output)}
    if write_word_alignment:
        files["--write-word-alignment"] = write_word_alignment
    seen: Dict[str, str] = {}
    for name, path in files.items():
        if os.path.isdir(path):
            raise ValueError(f"{name} {path} is a folder; give the name of a file to write")
        other = seen.setdefault(os.path.abspath(path), name)
        if other != name:
            raise ValueError(
                f"{other} and {name} would both be {path}; the report is the output's name with "
                "'.json', so give them other names"
            )
    return files


def align_parallel(
    source_options: str,
    source_weights: str,
    target_options: str,
    target_weights: str,
    parallel: str,
    output: str,
    layers: Optional[Sequence[int]] = None,
    word_alignment: str = EFLOMAL,
    languages: Optional[Tuple[str, str]] = None,
    max_pairs: Optional[int] = None,
    columns: Tuple[int, int] = (0, 1),
    batch_size: int = 64,
    cuda_device: int = -1,
    dictionary: Optional[str] = None,
    symmetrization: str = "intersection",
    one_to_one_only: bool = False,
    drop_punctuation: bool = False,
    drop_identical: bool = False,
    center: bool = False,
    type_level: bool = False,
    max_sentence_length: int = 400,
    deterministic: bool = False,
    anchors: Optional[Tuple[str, str]] = None,
    csls_k: int = 10,
    keep_identical: bool = False,
    write_word_alignment: Optional[str] = None,
    bilm_engine: str = "engine",
    shard: Optional[Tuple[int, int]] = None,
) -> Dict[str, Any]:
    """
    Learns the map from the source biLM's space onto the target's from the parallel file
    `parallel` (tab-separated, one sentence pair a line) and writes it to `output`, with the report
    (returned) at `report_path(output)`, all or nothing; or, with `shard`, one shard's sums.
    `allennlp elmo-align-parallel --help` describes the options; their defaults are provisional,
    not yet measured against each other.

    # Parameters

    layers : `Sequence[int]`, optional (default = every layer)
        Every layer in order gives a `(num_layers, dim, dim)` stack (each layer aligned before the
        scalar mix); one layer gives that layer's `(dim, dim)` map (applied after the mix).
    word_alignment : `str`, optional (default = `"eflomal"`)
        `"eflomal"`, or a Pharaoh file with one line per line of `parallel`.
    languages : `Tuple[str, str]`, optional (default = `None`)
        The source's and target's languages: raw text is split by their `language_rules`
        tokenizers, as the biLM reader split the biLMs' training text. `None`: the text is
        tokenised, one token per space-separated string.
    max_pairs : `int`, optional (default = `None`)
        Only the first so many lines (eflomal then aligns only those).
    columns : `Tuple[int, int]`, optional (default = `(0, 1)`)
        The 0-based columns of the source and target text.
    dictionary : `str`, optional (default = `None`)
        A dictionary (MUSE's format, or tab-separated) to report the precision@1 of each layer's
        map on (see `dictionary_precision`), measured on the parallel text's own anchors, or on
        those of `anchors`.
    symmetrization : `str`, optional (default = `"intersection"`)
        How eflomal's two directions are combined (`word_alignment.SYMMETRIZATIONS`).
    one_to_one_only, drop_punctuation, drop_identical : `bool`, optional (default = `False`)
        Link filters (`word_alignment.filter_links`), applied to eflomal's links or the file's.
    center : `bool`, optional (default = `False`)
        Learn the rotation of the pairs centred by their means (`cross_covariance.orthogonal_maps`).
    type_level : `bool`, optional (default = `False`)
        One pair per aligned word-type pair, the means of its token pairs' vectors, instead of one
        per token pair.
    max_sentence_length : `int`, optional (default = `400`)
        Longer sides are an error (the biLM pads a batch to its longest sentence).
    deterministic : `bool`, optional (default = `False`)
        Every sentence starts from the same warm biLM state (`ElmoBiLm.deterministic`), so its
        vectors do not depend on the sentences before (and parts of a corpus can be summed apart).
    anchors : `Tuple[str, str]`, optional (default = `None`)
        `elmo-anchors` folders of the source and target, whose vectors `dictionary` is measured
        on, as `elmo-align` measures the anchor maps.
    csls_k, keep_identical
        As for `elmo-align` (`--csls-k`, `--keep-identical-test-pairs`).
    write_word_alignment : `str`, optional (default = `None`)
        Also write the links before the filters (Pharaoh format), to reuse them as
        `word_alignment` (eflomal samples, so two runs differ slightly).
    bilm_engine : `str`, optional (default = `"engine"`)
        The biLM implementation (see `build_bilm`).
    shard : `Tuple[int, int]`, optional (default = `None`)
        `(i, n)`: sum only sentence pairs `i`, `i + n`, `i + 2n`, ... (1-based) and write the
        partial sums to the folder `output` (`SHARD_JSON` and `.npy` files) instead of a map, for
        `merge_parallel_shards` of all `n` shards, which gives the map of the whole corpus. Needs
        `deterministic` (a stateful biLM's vectors depend on the sentences before) and a word
        alignment file of the whole corpus (eflomal's links depend on the whole corpus: see
        `word_align`); the dictionary is measured at the merge.
    """
    for name, value in (
        ("batch_size", batch_size),
        ("max_pairs", 1 if max_pairs is None else max_pairs),
        ("max_sentence_length", max_sentence_length),
        ("csls_k", csls_k),
    ):
        if value < 1:
            raise ValueError(f"{name} (--{name.replace('_', '-')}) must be positive, not {value}")
    if symmetrization not in SYMMETRIZATIONS:
        raise ValueError(
            f"unknown symmetrisation {symmetrization!r}: one of {', '.join(SYMMETRIZATIONS)}"
        )
    if anchors is not None and dictionary is None:
        raise ValueError("--anchors are the vectors --dictionary is measured on: give both")
    if shard is not None:
        _check_shard_options(shard, deterministic, word_alignment, dictionary, write_word_alignment)
        if os.path.isfile(output):
            raise ValueError(f"--output {output} is a file; a shard writes a folder")
        outputs: Dict[str, str] = {}
    else:
        outputs = _check_outputs(output, write_word_alignment)
    pairs = read_dictionary(dictionary) if dictionary else None

    source_bilm, target_bilm = (
        build_bilm(
            options, weights, bilm_engine, deterministic=deterministic, cuda_device=cuda_device
        ).eval()
        for options, weights in ((source_options, source_weights), (target_options, target_weights))
    )
    dims = (source_bilm.get_output_dim(), target_bilm.get_output_dim())
    if dims[0] != dims[1]:
        raise ValueError(
            f"the source biLM ({source_options}) has dimension {dims[0]} and the target biLM "
            f"({target_options}) {dims[1]}; an orthogonal map needs equal dimensions"
        )
    layers = _check_layers(layers, source_bilm, target_bilm, (source_options, target_options))
    # Read before the long pass, so that a problem with them shows at once.
    anchor_vectors = (
        None
        if anchors is None
        else read_anchor_vectors(anchors, layers, (source_weights, target_weights))
    )

    corpus = read_parallel(parallel, languages, max_pairs, max_sentence_length, columns)
    raw_links, alignment_report = word_alignment_links(corpus, word_alignment, symmetrization)
    source, target = corpus.source, corpus.target
    if shard is not None:
        chosen = slice(shard[0] - 1, None, shard[1])
        source, target, raw_links = source[chosen], target[chosen], raw_links[chosen]
        alignment_report["links"] = sum(map(len, raw_links))
    removed: Dict[str, int] = {}
    links = [
        filter_links(
            pair_links, s, t, one_to_one_only, drop_punctuation, drop_identical, counts=removed
        )
        for pair_links, s, t in zip(raw_links, source, target)
    ]
    alignment_report.update(
        removed=removed,
        kept_links=sum(map(len, links)),
        pairs_without_kept_links=sum(not pair_links for pair_links in links),
    )
    sums = parallel_sums(
        source_bilm,
        target_bilm,
        source,
        target,
        links,
        layers,
        batch_size,
        type_level=type_level,
        anchors=pairs is not None and anchors is None,
    )
    report: Dict[str, Any] = {
        "source_options": source_options,
        "source_options_sha256": file_hash(source_options),
        "source_weights": source_weights,
        "source_weights_sha256": file_hash(source_weights),
        "target_options": target_options,
        "target_options_sha256": file_hash(target_options),
        "target_weights": target_weights,
        "target_weights_sha256": file_hash(target_weights),
        "parallel": parallel,
        "parallel_sha256": file_hash(parallel),
        "parallel_lines": corpus.line_count,
        "sentence_pairs": len(source),
        "max_pairs": max_pairs,
        "columns": list(columns),
        "source_tokens": sum(map(len, source)),
        "target_tokens": sum(map(len, target)),
        "tokenization": corpus.tokenization,
        "word_alignment": alignment_report,
        "options": {
            "one_to_one_only": one_to_one_only,
            "drop_punctuation": drop_punctuation,
            "drop_identical": drop_identical,
            "center": center,
            "type_level": type_level,
            "deterministic": deterministic,
            "batch_size": batch_size,
            "max_sentence_length": max_sentence_length,
        },
        "layers": layers,
    }
    if shard is not None:
        report.update(shard=shard[0], num_shards=shard[1])
        _write_shard(output, sums, report)
        return report
    evaluation_vectors = None
    if pairs is not None:
        evaluation_vectors = anchor_vectors or _parallel_anchor_vectors(sums, layers)
    return _write_alignment(
        sums,
        report,
        outputs,
        pairs,
        evaluation_vectors,
        dictionary=dictionary,
        anchors=anchors,
        csls_k=csls_k,
        keep_identical=keep_identical,
        raw_links=raw_links if write_word_alignment else None,
        write_word_alignment=write_word_alignment,
    )


def _write_alignment(
    sums: ParallelSums,
    report: Dict[str, Any],
    outputs: Dict[str, str],
    pairs: Optional[Pairs],
    evaluation_vectors: Optional[List[Tuple[WordVectors, WordVectors]]],
    dictionary: Optional[str],
    anchors: Optional[Tuple[str, str]],
    csls_k: int,
    keep_identical: bool,
    raw_links: Optional[Sequence[Links]] = None,
    write_word_alignment: Optional[str] = None,
) -> Dict[str, Any]:
    """
    Learns the maps from `sums`, measures them on the dictionary `pairs` (if any) among
    `evaluation_vectors`, completes `report` (the corpus, links and options) and writes the
    map, the report and any links, all or nothing. Returns the report.
    """
    options, layers = report["options"], report["layers"]
    maps, cross = learn_maps(sums, options["center"], options["type_level"])
    dim = maps.shape[-1]
    what = "aligned word-type pairs" if options["type_level"] else "aligned token pairs"
    if cross.num_pairs < dim:
        links = report["word_alignment"]
        raise ValueError(
            f"{report['parallel']}: {cross.num_pairs} {what} for vectors of dimension {dim}: too "
            f"few to determine the map (the word alignment had {links['links']} links, the "
            f"filters kept {links['kept_links']}); give more sentence pairs"
        )
    values = singular_values(cross, options["center"])

    evaluation: List[Optional[Dict[str, Any]]] = [None] * len(layers)
    if pairs is not None and evaluation_vectors is not None:
        results = dictionary_precision(maps, evaluation_vectors, pairs, csls_k, keep_identical)
        if not any(result["usable_pairs"] for result in results):
            raise ValueError(
                f"no pair of the dictionary {dictionary} has both words among the "
                + ("parallel text's words" if anchors is None else f"anchors of {anchors}")
                + ": nothing to measure the maps on"
            )
        evaluation = list(results)

    # Every layer: the stack, aligning each before the mix; one layer: its map, after the mix.
    matrix = maps if len(layers) > 1 else maps[0]
    layer_reports = {}
    for position, layer in enumerate(layers):
        layer_reports[str(layer)] = {
            "pairs": cross.num_pairs,
            "token_pairs": sums.cross.num_pairs,
            "type_pairs": None if sums.type_pairs is None else len(sums.type_pairs.pairs),
            "largest_singular_value": float(values[position][0]),
            "smallest_singular_value": float(values[position][-1]),
            "dictionary": evaluation[position],
        }
    report = {
        **{key: value for key, value in report.items() if key != "layers"},
        "dictionary": dictionary,
        "evaluation_vectors": (
            None
            if dictionary is None
            else ("the parallel text's anchors" if anchors is None else list(anchors))
        ),
        "csls_k": csls_k,
        "keep_identical_test_pairs": keep_identical,
        "layers": layer_reports,
        "output_shape": list(matrix.shape),
    }
    with atomic_outputs() as files:
        torch.save(torch.tensor(matrix, dtype=torch.float32), files.path(outputs["--output"]))
        with open(files.path(outputs["the report"]), "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2, ensure_ascii=False)
        if write_word_alignment and raw_links is not None:
            with open(files.path(write_word_alignment), "w", encoding="utf-8") as f:
                f.writelines(format_links(pair_links) + "\n" for pair_links in raw_links)
    logger.info("Alignment from %d %s written to %s", cross.num_pairs, what, outputs["--output"])
    return report


SHARD_JSON = "shard.json"
_CROSS_ARRAYS = ("cross", "source_sum", "target_sum")
_TYPE_ARRAYS = ("counts", "source_sums", "target_sums")
# What must agree between the shards of one run: biLMs, corpus, links and options (all but the
# batch size: a deterministic biLM's vectors do not depend on the batch).
_SHARD_IDENTITY = (
    "source_options_sha256",
    "source_weights_sha256",
    "target_options_sha256",
    "target_weights_sha256",
    "parallel_sha256",
    "parallel_lines",
    "max_pairs",
    "columns",
    "tokenization",
    "layers",
    "word_alignment.sha256",
    *(
        f"options.{name}"
        for name in (
            "one_to_one_only",
            "drop_punctuation",
            "drop_identical",
            "center",
            "type_level",
            "deterministic",
            "max_sentence_length",
        )
    ),
)


def _check_shard_options(
    shard: Tuple[int, int],
    deterministic: bool,
    word_alignment: str,
    dictionary: Optional[str],
    write_word_alignment: Optional[str],
) -> None:
    if not 1 <= shard[0] <= shard[1]:
        raise ValueError(f"--shard {shard[0]}/{shard[1]}: give I/N with 1 <= I <= N")
    if not deterministic:
        raise ValueError(
            "--shard needs --deterministic: a stateful biLM's vectors depend on the sentences "
            "before, which differ between shards"
        )
    if word_alignment == EFLOMAL:
        raise ValueError(
            "--shard needs --word-alignment FILE, the links of the whole corpus: eflomal's links "
            "depend on the whole corpus and on its random seed, so shards would not add up; "
            "write them once with allennlp elmo-word-align"
        )
    if dictionary is not None or write_word_alignment is not None:
        raise ValueError(
            "a shard writes partial sums only: give --dictionary (and --anchors) to --merge, "
            "and write the word alignment with elmo-word-align"
        )


def _write_shard(output_dir: str, sums: ParallelSums, report: Dict[str, Any]) -> None:
    with atomic_folder(output_dir, replace=True) as folder:
        arrays = {name: getattr(sums.cross, name) for name in _CROSS_ARRAYS}
        if sums.type_pairs is not None:
            arrays.update({f"type_{name}": getattr(sums.type_pairs, name) for name in _TYPE_ARRAYS})
        hashes = {}
        for name, array in arrays.items():
            path = os.path.join(folder, f"{name}.npy")
            numpy.save(path, array, allow_pickle=False)
            hashes[f"{name}.npy"] = file_hash(path)
        if sums.type_pairs is not None:
            path = os.path.join(folder, "type_pairs.tsv")
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.writelines(f"{s}\t{t}\n" for s, t in sums.type_pairs.pairs)
            hashes["type_pairs.tsv"] = file_hash(path)
        summary = {**report, "pairs": sums.cross.num_pairs, "files_sha256": hashes}
        with open(os.path.join(folder, SHARD_JSON), "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2, ensure_ascii=False)
    logger.info(
        "Shard %d/%d of the sums written to %s", report["shard"], report["num_shards"], output_dir
    )


def _read_shard(directory: str) -> Tuple[Dict[str, Any], ParallelSums]:
    summary_path = os.path.join(directory, SHARD_JSON)
    if not os.path.isfile(summary_path):
        raise ValueError(
            f"{directory!r} is not an elmo-align-parallel --shard output: no {SHARD_JSON} "
            "(a shard that failed or is still running?)"
        )
    try:
        with open(summary_path, encoding="utf-8") as f:
            summary = json.load(f)
        expected_files = summary["files_sha256"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{summary_path} cannot be read as a shard's summary ({error})") from None
    for name, expected in expected_files.items():
        path = os.path.join(directory, name)
        if not os.path.isfile(path) or file_hash(path) != expected:
            raise ValueError(f"{path} is missing or not the file its shard wrote; compute it again")

    def load(name: str) -> numpy.ndarray:
        return numpy.load(os.path.join(directory, f"{name}.npy"), allow_pickle=False)

    cross = PartialCrossCovariance(
        **{name: load(name) for name in _CROSS_ARRAYS}, num_pairs=summary["pairs"]
    )
    type_pairs = None
    if "type_pairs.tsv" in expected_files:
        with open(os.path.join(directory, "type_pairs.tsv"), encoding="utf-8", newline="\n") as f:
            pairs = [line.rstrip("\n").split("\t") for line in f]
        type_pairs = PartialTypePairSums(
            [(s, t) for s, t in pairs], *(load(f"type_{name}") for name in _TYPE_ARRAYS)
        )
    return summary, ParallelSums(cross, type_pairs, None, None)


def merge_parallel_shards(
    shard_dirs: Sequence[str],
    output: str,
    dictionary: Optional[str] = None,
    anchors: Optional[Tuple[str, str]] = None,
    csls_k: int = 10,
    keep_identical: bool = False,
) -> Dict[str, Any]:
    """
    Merges the `align_parallel(shard=(i, n))` folders of one run (all `n` of them, each once, of
    the same biLMs, corpus, word alignment and options) into the map of the whole corpus, written
    to `output` with its report as `align_parallel` writes them: the same sums, so the same map
    within floating-point rounding. `dictionary` is measured among the `anchors` of the two
    biLMs (an `elmo-anchors` folder each; the shards keep no anchors of the parallel text).
    """
    if dictionary is not None and anchors is None:
        raise ValueError(
            "a merge measures --dictionary among --anchors SOURCE_DIR TARGET_DIR (elmo-anchors "
            "folders of the two biLMs): the shards keep no anchors of the parallel text"
        )
    if anchors is not None and dictionary is None:
        raise ValueError("--anchors are the vectors --dictionary is measured on: give both")
    if csls_k < 1:
        raise ValueError(f"csls_k (--csls-k) must be positive, not {csls_k}")
    outputs = _check_outputs(output, None)
    shards = [(directory, *_read_shard(directory)) for directory in shard_dirs]
    check_shard_set([(directory, summary) for directory, summary, _ in shards], _SHARD_IDENTITY)
    first = shards[0][1]
    parts = [sums for _, _, sums in shards]
    type_parts = [sums.type_pairs for sums in parts if sums.type_pairs is not None]
    merged = ParallelSums(
        merge_cross_covariances([sums.cross for sums in parts]),
        merge_type_pair_sums(type_parts) if type_parts else None,
        None,
        None,
    )
    summaries = [summary for _, summary, _ in shards]
    alignment = {
        key: value
        for key, value in first["word_alignment"].items()
        if key not in ("links", "removed", "kept_links", "pairs_without_kept_links")
    }
    removed: Dict[str, int] = {}
    for summary in summaries:
        for name, number in summary["word_alignment"]["removed"].items():
            removed[name] = removed.get(name, 0) + number
    alignment.update(
        links=sum(summary["word_alignment"]["links"] for summary in summaries),
        removed=removed,
        kept_links=sum(summary["word_alignment"]["kept_links"] for summary in summaries),
        pairs_without_kept_links=sum(
            summary["word_alignment"]["pairs_without_kept_links"] for summary in summaries
        ),
    )
    report = {
        key: value
        for key, value in first.items()
        if key not in ("shard", "num_shards", "pairs", "files_sha256")
    }
    report.update(
        sentence_pairs=sum(summary["sentence_pairs"] for summary in summaries),
        source_tokens=sum(summary["source_tokens"] for summary in summaries),
        target_tokens=sum(summary["target_tokens"] for summary in summaries),
        word_alignment=alignment,
        merged_from=list(shard_dirs),
    )
    report["options"] = {
        key: value for key, value in first["options"].items() if key != "batch_size"
    }
    pairs = read_dictionary(dictionary) if dictionary else None
    vectors = None
    if anchors is not None:
        vectors = read_anchor_vectors(
            anchors,
            first["layers"],
            (first["source_weights"], first["target_weights"]),
            (first["source_weights_sha256"], first["target_weights_sha256"]),
        )
    return _write_alignment(
        merged,
        report,
        outputs,
        pairs,
        vectors,
        dictionary=dictionary,
        anchors=anchors,
        csls_k=csls_k,
        keep_identical=keep_identical,
    )


def word_align(
    parallel: str,
    output: str,
    languages: Optional[Tuple[str, str]] = None,
    columns: Tuple[int, int] = (0, 1),
    symmetrization: str = "intersection",
    max_pairs: Optional[int] = None,
    max_sentence_length: int = 400,
) -> Dict[str, Any]:
    """
    Word-aligns the parallel file `parallel`, tokenised as `align_parallel` tokenises it (see
    `read_parallel`), with eflomal both ways, symmetrised, and writes the links in Pharaoh format
    to `output`, one line per pair: the `word_alignment` file of `align_parallel`, e.g. of all
    its shards. Returns a report of the corpus and the links.
    """
    if os.path.isdir(output):
        raise ValueError(f"--output {output} is a folder; give the name of a file to write")
    corpus = read_parallel(parallel, languages, max_pairs, max_sentence_length, columns)
    links, report = word_alignment_links(corpus, EFLOMAL, symmetrization)
    with atomic_outputs() as files:
        with open(files.path(output), "w", encoding="utf-8") as f:
            f.writelines(format_links(pair_links) + "\n" for pair_links in links)
    return {
        "parallel": parallel,
        "sentence_pairs": len(corpus.source),
        "tokenization": corpus.tokenization,
        "word_alignment": report,
    }
