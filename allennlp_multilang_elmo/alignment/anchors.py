"""
Anchors of contextual embeddings (Schuster et al., 2019, section 3): for every word type and ELMo
layer, the mean of the word's contextual vectors over all its occurrences in a corpus. Streamed:
running sums per type and layer, so memory grows with the vocabulary, never with the corpus.
"""

import itertools
import json
import logging
import os
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import numpy
import torch
from allennlp.common.tqdm import Tqdm
from allennlp.data.token_indexers.elmo_indexer import ELMoCharacterMapper
from allennlp.nn.util import remove_sentence_boundaries

from allennlp_multilang_elmo.alignment.corpus import read_sentences
from allennlp_multilang_elmo.alignment.word_vectors import write_word_vectors
from allennlp_multilang_elmo.common.atomic_files import atomic_folder
from allennlp_multilang_elmo.common.corpus_files import corpus_files
from allennlp_multilang_elmo.common.file_hash import file_hash
from allennlp_multilang_elmo.common.shards import check_shard_set
from allennlp_multilang_elmo.common.text_files import numbered_lines
from allennlp_multilang_elmo.data.token_indexers.cached_elmo_characters_indexer import (
    padded_rows,
    word_character_ids,
)
from allennlp_multilang_elmo.data.tokenizers.language_rules_tokenizer import (
    LanguageRulesTokenizer,
)
from allennlp_multilang_elmo.modules.elmo_bilm import BiLm, build_bilm

logger = logging.getLogger(__name__)

ANCHORS_JSON = "anchors.json"


def anchors_vec_name(layer: int) -> str:
    """The file name of layer `layer`'s anchors in an `elmo-anchors` output folder."""
    return f"anchors_layer{layer}.vec"


class AnchorAccumulator:
    """
    Running sums of token vectors per word type and layer, occurrence counts per type, and the sum
    of all token vectors' L2 norms per layer. Its memory is `O(vocabulary x layers x dim)`: capacity
    doubles as new types arrive, and with a fixed `vocabulary` it is allocated once.

    # Parameters

    num_layers : `int`
        How many layers each `add` brings.
    dim : `int`
        The vectors' dimension.
    vocabulary : `Sequence[str]`, optional (default = `None`)
        If given, only these words get anchors (every token still counts for the norms).
    device : `torch.device`, optional (default = CPU)
        Where the sums live: the biLM's device, so vectors never leave it.
    """

    def __init__(
        self,
        num_layers: int,
        dim: int,
        vocabulary: Optional[Sequence[str]] = None,
        device: torch.device = torch.device("cpu"),
    ) -> None:
        self._fixed = vocabulary is not None
        self._index: Dict[str, int] = {}
        # Per row, where its word was first seen: (sentence, position), or (-1, i) for the i-th
        # word of a fixed vocabulary. Ties of frequency keep this order.
        self._first_seen: List[Tuple[int, int]] = []
        for word in vocabulary or []:
            if word not in self._index:
                self._first_seen.append((-1, len(self._index)))
                self._index[word] = len(self._index)
        capacity = max(len(self._index), 1024)
        self._sums = torch.zeros(num_layers, capacity, dim, dtype=torch.float64, device=device)
        self._counts = torch.zeros(capacity, dtype=torch.int64, device=device)
        self._norm_sums = torch.zeros(num_layers, dtype=torch.float64, device=device)
        self.num_sentences = 0
        self.num_tokens = 0

    @property
    def nbytes(self) -> int:
        """Bytes held by the sums and counts."""
        return sum(
            t.numel() * t.element_size() for t in (self._sums, self._counts, self._norm_sums)
        )

    def add(self, sentences: Sequence[Sequence[str]], vectors: torch.Tensor) -> None:
        """
        # Parameters

        sentences : `Sequence[Sequence[str]]`
            A batch of tokenised sentences, `num_tokens` tokens in all.
        vectors : `torch.Tensor`
            The tokens' vectors in sentence order, shape `(num_layers, num_tokens, dim)`.
        """
        vectors = vectors.detach().to(torch.float64)
        rows = [
            self._row(word, (self.num_sentences + number, position))
            for number, sentence in enumerate(sentences)
            for position, word in enumerate(sentence)
        ]
        if vectors.size(1) != len(rows):
            raise ValueError(f"{len(rows)} tokens but {vectors.size(1)} vectors")
        self._norm_sums += vectors.norm(dim=-1).sum(dim=-1)
        self.num_sentences += len(sentences)
        self.num_tokens += len(rows)
        keep = [position for position, row in enumerate(rows) if row >= 0]
        if len(keep) < len(rows):
            vectors = vectors[:, torch.tensor(keep, dtype=torch.long, device=vectors.device)]
            rows = [rows[position] for position in keep]
        index = torch.tensor(rows, dtype=torch.long, device=vectors.device)
        self._sums.index_add_(1, index, vectors)
        self._counts.index_add_(0, index, torch.ones_like(index))

    def _row(self, word: str, seen: Tuple[int, int]) -> int:
        row = self._index.get(word)
        if row is not None:
            return row
        # word2vec's text format cannot hold a word with whitespace (CoNLL-U forms may have it).
        if self._fixed or word.split() != [word]:
            return -1
        row = self._index[word] = len(self._index)
        self._first_seen.append(seen)
        if row == self._counts.numel():
            self._sums = torch.cat([self._sums, torch.zeros_like(self._sums)], dim=1)
            self._counts = torch.cat([self._counts, torch.zeros_like(self._counts)])
        return row

    def mean_norms(self) -> List[float]:
        """The mean L2 norm of all token vectors, per layer."""
        return (self._norm_sums / max(self.num_tokens, 1)).tolist()

    def partial(self, shard: int = 1, num_shards: int = 1) -> "PartialAnchors":
        """
        The sums and counts so far, for merging with other shards' (see `merge_partial_anchors`):
        this accumulator read sentences `shard - 1`, `shard - 1 + num_shards`, ... of the corpus.
        """
        size = len(self._index)
        first = numpy.array(self._first_seen, dtype=numpy.int64).reshape(size, 2)
        # Back to positions in the whole corpus (vocabulary rows keep their -1).
        first[:, 0] = numpy.where(
            first[:, 0] >= 0, first[:, 0] * num_shards + shard - 1, first[:, 0]
        )
        return PartialAnchors(
            words=list(self._index),
            counts=self._counts[:size].cpu().numpy(),
            first_seen=first,
            sums=self._sums[:, :size].cpu().numpy(),
            norm_sums=self._norm_sums.cpu().numpy(),
            num_sentences=self.num_sentences,
            num_tokens=self.num_tokens,
        )

    def anchors(self, min_count: int = 1) -> "Anchors":
        """The anchors of the words seen at least `min_count` times, most frequent first."""
        size = len(self._index)
        counts = self._counts[:size].cpu().numpy()
        # Stable: words equally frequent keep their order of first occurrence (or the vocabulary's).
        order = numpy.argsort(-counts, kind="stable")
        order = order[counts[order] >= max(min_count, 1)]
        words = list(self._index)
        sums = self._sums[:, :size].cpu().numpy()[:, order]
        return Anchors(
            words=[words[row] for row in order],
            counts=counts[order].tolist(),
            vectors=sums / counts[order][None, :, None],
            mean_norms=self.mean_norms(),
        )


class PartialAnchors(NamedTuple):
    """What one shard of a corpus adds to the anchors: sums and counts, not yet means."""

    words: List[str]
    counts: numpy.ndarray
    """Shape `(len(words),)`, int64."""
    first_seen: numpy.ndarray
    """Shape `(len(words), 2)`: where each word was first seen, (sentence, position)."""
    sums: numpy.ndarray
    """Shape `(num_layers, len(words), dim)`, float64."""
    norm_sums: numpy.ndarray
    """Shape `(num_layers,)`: the sum of all token vectors' L2 norms."""
    num_sentences: int
    num_tokens: int


def merge_partial_anchors(parts: Sequence[PartialAnchors], min_count: int = 1) -> "Anchors":
    """
    The anchors of the whole corpus from its shards' partial sums: the same words in the same
    order (most frequent first, ties in order of first occurrence) and counts as one process
    computes, and the same vectors up to the order of floating-point additions.
    """
    index: Dict[str, int] = {}
    for part in parts:
        for word in part.words:
            index.setdefault(word, len(index))
    size, (num_layers, _, dim) = len(index), parts[0].sums.shape
    counts = numpy.zeros(size, dtype=numpy.int64)
    first = numpy.full((size, 2), numpy.iinfo(numpy.int64).max, dtype=numpy.int64)
    sums = numpy.zeros((num_layers, size, dim))
    for part in parts:
        rows = numpy.array([index[word] for word in part.words], dtype=numpy.int64)
        numpy.add.at(counts, rows, part.counts)
        sums[:, rows] += part.sums
        earlier = numpy.array(
            [tuple(a) < tuple(b) for a, b in zip(part.first_seen, first[rows])], dtype=bool
        )
        first[rows[earlier]] = part.first_seen[earlier]
    order = sorted(range(size), key=lambda row: (-counts[row], tuple(first[row])))
    order = [row for row in order if counts[row] >= max(min_count, 1)]
    words = list(index)
    tokens = sum(part.num_tokens for part in parts)
    return Anchors(
        words=[words[row] for row in order],
        counts=counts[order].tolist(),
        vectors=sums[:, order] / counts[order][None, :, None],
        mean_norms=(numpy.stack([p.norm_sums for p in parts]).sum(0) / max(tokens, 1)).tolist(),
    )


class Anchors(NamedTuple):
    words: List[str]
    """Most frequent first."""
    counts: List[int]
    vectors: numpy.ndarray
    """Shape `(num_layers, len(words), dim)`, float64."""
    mean_norms: List[float]
    """Per layer, the mean L2 norm of all token vectors (not only of the anchored words)."""


def check_anchor_files(directory: str, names: Sequence[str]) -> Dict[str, Any]:
    """
    The `anchors.json` of the `elmo-anchors` folder `directory`, after checking that the files
    `names` are those of that run (their SHA-256 as it recorded them): a folder holding files of
    two runs is refused, naming the file.
    """
    summary_path = os.path.join(directory, ANCHORS_JSON)
    if not os.path.isfile(summary_path):
        raise ValueError(f"{directory!r} is not an elmo-anchors output: it has no {ANCHORS_JSON}")
    with open(summary_path, encoding="utf-8") as f:
        summary = json.load(f)
    recorded = summary.get("files_sha256")
    if recorded is None:  # written before the files were recorded
        return summary
    for name in names:
        path = os.path.join(directory, name)
        if name not in recorded:
            raise ValueError(f"{path} is not a file of the run that wrote {summary_path}")
        if os.path.isfile(path) and file_hash(path) != recorded[name]:
            raise ValueError(
                f"{path} is not the file that the run of {summary_path} wrote (its SHA-256 "
                "differs): the folder mixes two runs; compute the anchors again"
            )
    return summary


def read_vocabulary(path: str) -> List[str]:
    """The words of a vocabulary file: the first field of every non-blank line (`word [count]`)."""
    if not os.path.isfile(path):
        raise ValueError(f"the vocabulary file {path!r} does not exist")
    words = [line.split()[0] for _, line in numbered_lines(path) if line.strip()]
    if not words:
        raise ValueError(f"the vocabulary file {path!r} holds no words")
    return words


def character_ids(batch: Sequence[Sequence[str]]) -> torch.Tensor:
    """
    The `(batch_size, timesteps, 50)` ELMo character ids of `batch`, equal to AllenNLP's
    `batch_to_ids`, converting each distinct word once (and frequent words once per run, through
    `word_character_ids`): with small models, `batch_to_ids` costs more than the biLM.
    """
    rows: Dict[str, int] = {}
    positions = torch.zeros(len(batch), max(map(len, batch)), dtype=torch.long)
    for sentence_index, sentence in enumerate(batch):
        positions[sentence_index, : len(sentence)] = torch.tensor(
            [rows.setdefault(word, len(rows) + 1) for word in sentence], dtype=torch.long
        )
    # Row 0 pads: positions count words from 1.
    table = padded_rows(
        [[0] * ELMoCharacterMapper.max_word_length] + [word_character_ids(word) for word in rows],
        len(rows) + 1,
    )
    return table[positions]


def _batches(sentences: Iterable[List[str]], batch_size: int) -> Iterator[List[List[str]]]:
    iterator = iter(sentences)
    while True:
        batch = list(itertools.islice(iterator, batch_size))
        if not batch:
            return
        yield batch


def compute_anchors(
    bilm: BiLm,
    sentences: Iterable[List[str]],
    layers: Sequence[int],
    vocabulary: Optional[Sequence[str]] = None,
    batch_size: int = 64,
) -> AnchorAccumulator:
    """
    Runs `bilm` (see `build_bilm`) over `sentences` in batches and accumulates the vectors of
    `layers`. The sentences pass through a progress bar that shows sentences/s.
    """
    device = next(bilm.parameters()).device
    accumulator = AnchorAccumulator(len(layers), bilm.get_output_dim(), vocabulary, device)
    progress = Tqdm.tqdm(sentences, unit=" sentences", desc="anchors")
    with torch.no_grad():
        for batch in _batches(progress, batch_size):
            characters = character_ids(batch).to(device)
            # The engine stops below layers that are not asked for.
            output = bilm(characters, num_layers=max(layers) + 1)
            # All layers side by side: one boundary removal, one gather of the real tokens.
            side_by_side = torch.cat([output["activations"][layer] for layer in layers], dim=-1)
            activations, mask = remove_sentence_boundaries(side_by_side, output["mask"])
            tokens = activations[mask].view(-1, len(layers), bilm.get_output_dim())
            accumulator.add(batch, tokens.transpose(0, 1))
    return accumulator


def elmo_anchors(
    options_file: str,
    weight_file: str,
    corpora: Sequence[str],
    output_dir: str,
    layers: Optional[Sequence[int]] = None,
    vocabulary_file: Optional[str] = None,
    min_count: int = 1,
    max_sentences: Optional[int] = None,
    batch_size: int = 64,
    cuda_device: int = -1,
    max_sentence_length: int = 400,
    bilm_engine: str = "engine",
    shard: Optional[Tuple[int, int]] = None,
    deterministic: bool = False,
    tokenizer: Optional[LanguageRulesTokenizer] = None,
) -> Dict[str, Any]:
    """
    Computes the anchors of an ELMo model over `corpora` (paths or globs of plain text or CoNLL-U,
    see `corpus.read_sentences`) and writes `output_dir/anchors_layer<L>.vec` (word2vec text format,
    most frequent word first) per layer and `output_dir/anchors.json` (counts, mean norms, layers,
    input files, sha256 of the weight file), all or nothing. Returns the content of `anchors.json`.

    # Parameters

    layers : `Sequence[int]`, optional (default = every layer)
        ELMo layers: 0 is the character CNN, 1 and up the biLSTM layers.
    vocabulary_file : `str`, optional (default = `None`)
        Only the words of this file (first field per line) get anchors.
    min_count : `int`, optional (default = `1`)
        Words seen fewer times get no anchor.
    max_sentences : `int`, optional (default = `None`)
        Stop after this many sentences.
    max_sentence_length : `int`, optional (default = `400`)
        Longer sentences are an error (the biLM pads a batch to its longest sentence).
    bilm_engine : `str`, optional (default = `"engine"`)
        The biLM implementation (see `build_bilm`).
    shard : `Tuple[int, int]`, optional (default = `None`)
        `(i, n)`: read only sentences `i - 1`, `i - 1 + n`, ... of the corpus (after
        `max_sentences`) and write this shard's partial sums and counts to `output_dir`
        (`shard.json` and `.npy` files) instead of anchors; `merge_anchor_shards` of all `n` shards
        gives the anchors of the whole corpus, as one process computes them (with
        `deterministic`, which shards need).
    deterministic : `bool`, optional (default = `False`)
        Every sentence starts from the same warm biLM state (see `ElmoBiLm.deterministic`)
        instead of the state after the sentence before, so a sentence's vectors do not depend on
        which sentences precede it: needed to split the corpus into shards.
    tokenizer : `LanguageRulesTokenizer`, optional (default = `None`)
        How plain text is split into words: the biLM language's rules for raw text, as the biLM
        reader split its training text. Without one, plain text is split at whitespace only.
    """
    if shard is not None and not 1 <= shard[0] <= shard[1]:
        raise ValueError(f"--shard {shard[0]}/{shard[1]}: give I/N with 1 <= I <= N")
    if shard is not None and not deterministic:
        raise ValueError(
            "--shard needs --deterministic: a stateful biLM's vectors depend on the sentences "
            "before, which differ between shards"
        )
    for name, value in [
        ("batch_size", batch_size),
        ("min_count", min_count),
        ("max_sentences", 1 if max_sentences is None else max_sentences),
        ("max_sentence_length", max_sentence_length),
    ]:
        if value < 1:
            raise ValueError(f"{name} must be positive, not {value}")
    files = corpus_files(corpora)
    vocabulary = read_vocabulary(vocabulary_file) if vocabulary_file else None
    bilm = build_bilm(
        options_file, weight_file, bilm_engine, deterministic=deterministic, cuda_device=cuda_device
    ).eval()
    layers = list(range(bilm.num_layers)) if layers is None else list(layers)
    if not layers or any(not 0 <= layer < bilm.num_layers for layer in layers):
        raise ValueError(f"layers {layers}: this ELMo has layers 0 to {bilm.num_layers - 1}")
    if len(set(layers)) != len(layers):
        raise ValueError(f"layers {layers} names a layer twice")

    sentences: Iterable[List[str]] = itertools.islice(
        (s for path in files for s in read_sentences(path, max_sentence_length, tokenizer)),
        max_sentences,
    )
    if shard is not None:
        index, count = shard
        sentences = (s for number, s in enumerate(sentences) if number % count == index - 1)
    accumulator = compute_anchors(bilm, sentences, layers, vocabulary, batch_size)
    summary = {
        "options_file": options_file,
        "weight_file": weight_file,
        "weight_file_sha256": file_hash(weight_file),
        "input_files": files,
        "layers": layers,
        "num_layers": bilm.num_layers,
        "dim": bilm.get_output_dim(),
        "num_sentences": accumulator.num_sentences,
        "num_tokens": accumulator.num_tokens,
        "min_count": min_count,
        "vocabulary_file": vocabulary_file,
        "max_sentences": max_sentences,
        "deterministic": deterministic,
        "tokenization": _tokenization(tokenizer),
    }
    if shard is not None:
        summary["shard"], summary["num_shards"] = shard
        _write_shard(output_dir, accumulator.partial(*shard), summary)
        return summary
    if accumulator.num_sentences == 0:
        raise ValueError(f"the corpus has no sentences: {', '.join(files)}")
    return _write_anchors(output_dir, accumulator.anchors(min_count), summary)


SHARD_JSON = "shard.json"
_SHARD_ARRAYS = ("counts", "first_seen", "sums", "norm_sums")
# What must agree between the shards of one corpus.
_SHARD_IDENTITY = (
    "weight_file_sha256",
    "input_files",
    "layers",
    "dim",
    "vocabulary_file",
    "max_sentences",
    "deterministic",
    "tokenization",
)


def _tokenization(tokenizer: Optional[LanguageRulesTokenizer]) -> str:
    """How plain text was split, for the summary: `"whitespace"` or spaCy's rules in use."""
    if tokenizer is None or tokenizer.pretokenized:
        return "whitespace"
    return f"rules of {tokenizer.rules!r}"


def _write_shard(output_dir: str, part: PartialAnchors, summary: Dict[str, Any]) -> None:
    with atomic_folder(output_dir, replace=True) as folder:
        hashes = {}
        for name in _SHARD_ARRAYS:
            path = os.path.join(folder, f"{name}.npy")
            numpy.save(path, getattr(part, name), allow_pickle=False)
            hashes[f"{name}.npy"] = file_hash(path)
        with open(os.path.join(folder, "words.txt"), "w", encoding="utf-8") as f:
            f.writelines(word + "\n" for word in part.words)
        hashes["words.txt"] = file_hash(os.path.join(folder, "words.txt"))
        with open(os.path.join(folder, SHARD_JSON), "w", encoding="utf-8") as f:
            json.dump({**summary, "files_sha256": hashes}, f, indent=2, ensure_ascii=False)
    logger.info(
        "Anchor shard %d/%d written to %s", summary["shard"], summary["num_shards"], output_dir
    )


def _read_shard(directory: str) -> Tuple[Dict[str, Any], PartialAnchors]:
    summary_path = os.path.join(directory, SHARD_JSON)
    if not os.path.isfile(summary_path):
        raise ValueError(f"{directory!r} is not an elmo-anchors --shard output: no {SHARD_JSON}")
    with open(summary_path, encoding="utf-8") as f:
        summary = json.load(f)
    for name, expected in summary["files_sha256"].items():
        path = os.path.join(directory, name)
        if not os.path.isfile(path) or file_hash(path) != expected:
            raise ValueError(f"{path} is missing or not the file its shard wrote; compute it again")
    arrays = {
        name: numpy.load(os.path.join(directory, f"{name}.npy"), allow_pickle=False)
        for name in _SHARD_ARRAYS
    }
    with open(os.path.join(directory, "words.txt"), encoding="utf-8", newline="\n") as f:
        words = f.read().split("\n")[:-1]
    return summary, PartialAnchors(
        words=words,
        num_sentences=summary["num_sentences"],
        num_tokens=summary["num_tokens"],
        **arrays,
    )


def merge_anchor_shards(
    shard_dirs: Sequence[str], output_dir: str, min_count: int = 1
) -> Dict[str, Any]:
    """
    Merges the `elmo-anchors --shard I/N` outputs of one corpus (all N of them, each once, of the
    same weights, corpus, layers and vocabulary) into `output_dir`, as `elmo_anchors` writes it for
    the whole corpus: the same words, order and counts, vectors within floating-point rounding.
    Returns the content of `anchors.json`.
    """
    if min_count < 1:
        raise ValueError(f"min_count must be positive, not {min_count}")
    shards = [(directory, *_read_shard(directory)) for directory in shard_dirs]
    check_shard_set([(directory, summary) for directory, summary, _ in shards], _SHARD_IDENTITY)
    first = shards[0][1]
    parts = [part for _, _, part in shards]
    summary = {key: value for key, value in first.items() if key not in ("shard", "files_sha256")}
    del summary["num_shards"]
    summary.update(
        num_sentences=sum(part.num_sentences for part in parts),
        num_tokens=sum(part.num_tokens for part in parts),
        min_count=min_count,
        merged_from=list(shard_dirs),
    )
    if summary["num_sentences"] == 0:
        raise ValueError(f"the shards hold no sentences: {', '.join(shard_dirs)}")
    return _write_anchors(output_dir, merge_partial_anchors(parts, min_count), summary)


def _write_anchors(output_dir: str, anchors: "Anchors", summary: Dict[str, Any]) -> Dict[str, Any]:
    """Writes the anchors folder (see `elmo_anchors`); returns the content of `anchors.json`."""
    files, layers = summary["input_files"], summary["layers"]
    min_count, vocabulary_file = summary["min_count"], summary["vocabulary_file"]
    if not anchors.words:
        raise ValueError(
            f"no word of the corpus ({', '.join(files)}) occurs at least {min_count} times"
            + (f" and is in the vocabulary file {vocabulary_file!r}" if vocabulary_file else "")
        )
    if not numpy.isfinite(anchors.vectors).all():
        raise ValueError(
            f"the biLM of {summary['weight_file']!r} gives NaN or infinite vectors; check its "
            "weights"
        )
    summary = {
        **summary,
        "mean_norms": {str(layer): norm for layer, norm in zip(layers, anchors.mean_norms)},
        "counts": dict(zip(anchors.words, anchors.counts)),
    }
    # One folder of one run: written whole, then moved in place of any earlier one.
    with atomic_folder(output_dir, replace=True) as folder:
        hashes = {}
        for position, layer in enumerate(layers):
            path = os.path.join(folder, anchors_vec_name(layer))
            write_word_vectors(path, anchors.words, anchors.vectors[position])
            hashes[anchors_vec_name(layer)] = file_hash(path)
        summary["files_sha256"] = hashes
        with open(os.path.join(folder, ANCHORS_JSON), "w") as file:
            json.dump(summary, file, indent=2, ensure_ascii=False)
    logger.info("Anchors of %d words written to %s", len(anchors.words), output_dir)
    return summary
