"""
A bilingual seed dictionary from a sentence-aligned corpus: word pairs that occur in the same
aligned sentences far more often than chance, kept only where each word is the other's best match,
optionally followed by the strings both sides share (numbers, names).
"""

import collections
from typing import Dict, Iterable, List, Sequence, Tuple

from allennlp_multilang_elmo.alignment.dictionary import Pairs

ScoredPairs = List[Tuple[str, str, float]]


def cooccurrence_dictionary(
    sentence_pairs: Iterable[Tuple[Sequence[str], Sequence[str]]],
    min_count: int = 5,
    min_dice: float = 0.3,
) -> ScoredPairs:
    """
    `(source, target, dice)` for word pairs of aligned sentences, most confident first. A word's
    count is the number of sentences it occurs in (on its side) and a pair's count the number of
    aligned sentence pairs holding both; the Dice coefficient `2 * count(s, t) / (count(s) +
    count(t))` scores a pair. A pair is kept when both words occur in at least `min_count`
    sentences, together in at least `min_count` sentence pairs, its Dice is at least `min_dice`,
    and each word is the other's highest-scoring partner (ties broken by the word itself, so the
    result does not depend on the corpus order).
    """
    if min_count < 1 or not 0.0 < min_dice <= 1.0:
        raise ValueError("min_count must be positive and min_dice in (0, 1]")
    pairs = [(set(source), set(target)) for source, target in sentence_pairs]
    source_counts = collections.Counter(word for source, _ in pairs for word in source)
    target_counts = collections.Counter(word for _, target in pairs for word in target)
    together: collections.Counter = collections.Counter()
    for source, target in pairs:
        frequent_target = [word for word in target if target_counts[word] >= min_count]
        for word in source:
            if source_counts[word] >= min_count:
                together.update((word, other) for other in frequent_target)
    scored = [
        (s, t, 2.0 * count / (source_counts[s] + target_counts[t]))
        for (s, t), count in together.items()
        if count >= min_count
    ]
    best_target: Dict[str, Tuple[float, str]] = {}
    best_source: Dict[str, Tuple[float, str]] = {}
    for s, t, dice in scored:
        if (dice, t) > best_target.get(s, (0.0, "")):
            best_target[s] = (dice, t)
        if (dice, s) > best_source.get(t, (0.0, "")):
            best_source[t] = (dice, s)
    kept = [
        (s, t, dice)
        for s, t, dice in scored
        if dice >= min_dice and best_target[s][1] == t and best_source[t][1] == s
    ]
    return sorted(kept, key=lambda pair: (-pair[2], pair[0], pair[1]))


def add_identical_strings(
    pairs: Pairs,
    source_sentences: Iterable[Sequence[str]],
    target_sentences: Iterable[Sequence[str]],
    min_count: int,
) -> Pairs:
    """
    `pairs`, then every string that occurs at least `min_count` times in `source_sentences` and in
    `target_sentences` and is no source word of `pairs`, paired with itself (most frequent on the
    source side first).
    """
    if min_count < 1:
        raise ValueError(f"min_count must be positive, not {min_count}")
    source_counts = collections.Counter(word for sentence in source_sentences for word in sentence)
    target_counts = collections.Counter(word for sentence in target_sentences for word in sentence)
    paired = {source for source, _ in pairs}
    identical = [
        (word, word)
        for word, count in source_counts.most_common()
        if count >= min_count and target_counts[word] >= min_count and word not in paired
    ]
    return list(pairs) + identical
