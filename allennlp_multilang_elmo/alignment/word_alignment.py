"""
Word alignments of a sentence-aligned corpus, as `elmo-align-parallel` uses them: read from a file
in Pharaoh format (`0-0 1-2 ...` per sentence pair: source token index, `-`, target token index,
as fast_align and eflomal write them) or computed by eflomal in both directions and symmetrised;
then filtered (one-to-one links, punctuation, identical tokens). Links are `(source, target)` index
pairs of the pair's tokens; a problem is reported as `file, line N`.
"""

import os
import re
import subprocess
import tempfile
import unicodedata
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from allennlp_multilang_elmo.common.text_files import numbered_lines

Link = Tuple[int, int]
Links = List[Link]
"""The links of one sentence pair, `(source index, target index)`, sorted."""

SYMMETRIZATIONS = ("intersection", "grow-diag-final-and")
"""
How the two directions of a word aligner are combined. `intersection` (the default, provisional:
not yet measured against the other) keeps the links both directions found: fewer links, the surest
ones, each token in at most one link. `grow-diag-final-and` (Koehn et al., 2003; Moses' and
fast_align's `atools` default) starts from the intersection and adds links of the union next to
them, then union links between tokens still unaligned: more links, some many-to-one.
"""

_LINK = re.compile(r"(\d+)-(\d+)")

# The 8 neighbours of a link, in the order of Moses' grow-diag (sides first, then diagonals).
_NEIGHBOURS = ((-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


def parse_links(path: str, line_number: int, line: str) -> Links:
    """
    The links of one Pharaoh line (`i-j` separated by whitespace; blank: no links), sorted, each
    once; a malformed link raises `ValueError` naming the file and line.
    """
    links = set()
    for field in line.split():
        match = _LINK.fullmatch(field)
        if match is None:
            raise ValueError(
                f"{path}, line {line_number}: {field!r} is not a link; the word alignment file "
                "is in Pharaoh format, 'i-j' pairs of 0-based source and target token indices"
            )
        links.add((int(match.group(1)), int(match.group(2))))
    return sorted(links)


def count_lines(path: str) -> int:
    """The number of lines of the text file `path`, as `numbered_lines` reads them."""
    count = 0
    for count, _ in numbered_lines(path):
        pass
    return count


def read_pharaoh(
    path: str, lengths: Sequence[Tuple[int, int]], corpus: str = "the parallel file"
) -> Iterator[Links]:
    """
    The links of the Pharaoh file `path`, line by line, for sentence pairs of `lengths`
    (`(source tokens, target tokens)` per pair, the file's line `n` being pair `n`). The file must
    have one line per line of `corpus` (it has `count_lines`; checked beforehand by the caller,
    since `lengths` may be the first pairs only); a link out of range of its pair raises
    `ValueError` naming the file, the line and the lengths.
    """
    lines = numbered_lines(path)
    for (source_length, target_length), (line_number, line) in zip(lengths, lines):
        links = parse_links(path, line_number, line)
        for source, target in links:
            if source >= source_length or target >= target_length:
                raise ValueError(
                    f"{path}, line {line_number}: the link {source}-{target} is out of range: "
                    f"line {line_number} of {corpus} has {source_length} source and "
                    f"{target_length} target tokens (indices from 0), as tokenised here; the "
                    "word alignment must be of the same tokens"
                )
        yield links


def check_line_counts(
    alignment_file: str, corpus: str, corpus_lines: int, pairs_read: Optional[int] = None
) -> None:
    """
    Refuses a word alignment file with another number of lines than `corpus`, or than the
    `pairs_read` first lines of it that are used (as a run with `--max-pairs` writes them).
    """
    alignment_lines = count_lines(alignment_file)
    if alignment_lines in (corpus_lines, pairs_read):
        return
    shorter, longer = sorted([(alignment_lines, alignment_file), (corpus_lines, corpus)])
    first_pairs = (
        f" (or {pairs_read}, the pairs read)" if pairs_read not in (None, corpus_lines) else ""
    )
    raise ValueError(
        f"the word alignment {alignment_file} has {alignment_lines} lines and the parallel "
        f"file {corpus} {corpus_lines}{first_pairs}: line {shorter[0] + 1} of {longer[1]} has no "
        f"counterpart in {shorter[1]}; the word alignment needs one line per sentence pair, in "
        "order (a blank line for a pair without links)"
    )


def format_links(links: Iterable[Link]) -> str:
    """One Pharaoh line (without the line break)."""
    return " ".join(f"{source}-{target}" for source, target in links)


def symmetrize(forward: Iterable[Link], reverse: Iterable[Link], heuristic: str) -> Links:
    """
    One sentence pair's links from the `forward` and `reverse` alignments (both as `(source,
    target)`), combined by `heuristic`, one of `SYMMETRIZATIONS`.
    """
    if heuristic not in SYMMETRIZATIONS:
        raise ValueError(
            f"unknown symmetrisation {heuristic!r}: one of {', '.join(SYMMETRIZATIONS)}"
        )
    forward, reverse = set(forward), set(reverse)
    links = forward & reverse
    if heuristic == "intersection":
        return sorted(links)
    union = forward | reverse
    aligned_source = {source for source, _ in links}
    aligned_target = {target for _, target in links}

    def add(link: Link) -> None:
        links.add(link)
        aligned_source.add(link[0])
        aligned_target.add(link[1])

    # grow-diag: neighbours of links (in the union) joining a still unaligned token, until none.
    added = True
    while added:
        added = False
        for source, target in sorted(links):
            for source_step, target_step in _NEIGHBOURS:
                neighbour = (source + source_step, target + target_step)
                if neighbour in union and neighbour not in links:
                    if neighbour[0] not in aligned_source or neighbour[1] not in aligned_target:
                        add(neighbour)
                        added = True
    # final-and: links of either direction between two still unaligned tokens.
    for direction in (forward, reverse):
        for link in sorted(direction):
            if link[0] not in aligned_source and link[1] not in aligned_target:
                add(link)
    return sorted(links)


def one_to_one(links: Iterable[Link]) -> Links:
    """The links whose source token and target token are in no other link."""
    links = list(links)
    sources: Dict[int, int] = {}
    targets: Dict[int, int] = {}
    for source, target in links:
        sources[source] = sources.get(source, 0) + 1
        targets[target] = targets.get(target, 0) + 1
    return [(s, t) for s, t in links if sources[s] == 1 and targets[t] == 1]


def is_punctuation(token: str) -> bool:
    """Whether every character of `token` is Unicode punctuation (categories P*)."""
    return bool(token) and all(unicodedata.category(c).startswith("P") for c in token)


def filter_links(
    links: Iterable[Link],
    source: Sequence[str],
    target: Sequence[str],
    one_to_one_only: bool = False,
    drop_punctuation: bool = False,
    drop_identical: bool = False,
    counts: Optional[Dict[str, int]] = None,
) -> Links:
    """
    The links of one sentence pair (tokens `source` and `target`) that the filters keep, applied
    in this order: `one_to_one_only` (see `one_to_one`, on the links given), `drop_punctuation`
    (links with a punctuation token on either side, see `is_punctuation`), `drop_identical`
    (links between two equal strings). `counts`, if given, adds up the links each filter
    removed (`"not_one_to_one"`, `"punctuation"`, `"identical"`).
    """
    links = list(links)
    for name, active in (
        ("not_one_to_one", one_to_one_only),
        ("punctuation", drop_punctuation),
        ("identical", drop_identical),
    ):
        if not active:
            continue
        if name == "not_one_to_one":
            kept = one_to_one(links)
        elif name == "punctuation":
            kept = [
                (s, t)
                for s, t in links
                if not is_punctuation(source[s]) and not is_punctuation(target[t])
            ]
        else:
            kept = [(s, t) for s, t in links if source[s] != target[t]]
        if counts is not None:
            counts[name] = counts.get(name, 0) + len(links) - len(kept)
        links = kept
    return links


def _eflomal_lines(sentences: Sequence[Sequence[str]], index: Dict[str, str]) -> List[str]:
    # One eflomal token per token of ours, whatever its characters: eflomal splits its input at
    # whitespace (Python's, which includes no-break spaces), so each lowercased form (eflomal
    # lowercases anyway) is given as a code word.
    return [
        " ".join(index.setdefault(token.lower(), f"w{len(index)}") for token in sentence)
        for sentence in sentences
    ]


def eflomal_alignment(
    source: Sequence[Sequence[str]],
    target: Sequence[Sequence[str]],
    symmetrization: str = "intersection",
) -> Tuple[List[Links], Dict[str, int]]:
    """
    Word-aligns the sentence pairs `source[n]`, `target[n]` (tokens) with eflomal (Östling and
    Tiedemann, 2016; its default model, IBM1 + HMM + fertility, and iteration counts) in both
    directions, and symmetrises the two by `symmetrization` (see `SYMMETRIZATIONS`). eflomal
    lowercases tokens and samples from a clock seed, so two runs may differ slightly (keep the
    links with `--write-word-alignment` to reuse them). Returns the links per pair and the number
    of links of each direction.
    """
    if symmetrization not in SYMMETRIZATIONS:
        raise ValueError(
            f"unknown symmetrisation {symmetrization!r}: one of {', '.join(SYMMETRIZATIONS)}"
        )
    if len(source) != len(target):
        raise ValueError(f"{len(source)} source and {len(target)} target sentences")
    try:
        import eflomal
    except ImportError as error:
        raise ValueError(
            f"the default word aligner, eflomal, cannot be imported ({error}); install it "
            "(scripts/install.sh, or pip install eflomal==2.0.0) or give a word alignment file "
            "(--word-alignment FILE, Pharaoh format)"
        ) from error
    with tempfile.TemporaryDirectory(prefix="eflomal") as directory:
        forward_path = os.path.join(directory, "forward.links")
        reverse_path = os.path.join(directory, "reverse.links")
        try:
            eflomal.Aligner().align(
                _eflomal_lines(source, {}),
                _eflomal_lines(target, {}),
                links_filename_fwd=forward_path,
                links_filename_rev=reverse_path,
                quiet=True,
            )
        except (subprocess.CalledProcessError, OSError) as error:
            raise ValueError(
                f"eflomal failed ({error}); its binary is compiled for the machine it was "
                "installed on (reinstall it there), or give --word-alignment FILE"
            ) from error
        lengths = [(len(s), len(t)) for s, t in zip(source, target)]
        directions = []
        for path in (forward_path, reverse_path):
            if count_lines(path) != len(lengths):
                raise ValueError(
                    f"eflomal wrote {count_lines(path)} lines of links for {len(lengths)} "
                    "sentence pairs"
                )
            directions.append(list(read_pharaoh(path, lengths, "eflomal's input")))
    forward, reverse = directions
    links = [symmetrize(f, r, symmetrization) for f, r in zip(forward, reverse)]
    counts = {
        "forward_links": sum(map(len, forward)),
        "reverse_links": sum(map(len, reverse)),
    }
    return links, counts


def eflomal_version() -> Optional[str]:
    """The installed eflomal's version, or `None`."""
    from importlib import metadata

    try:
        return metadata.version("eflomal")
    except metadata.PackageNotFoundError:
        return None
