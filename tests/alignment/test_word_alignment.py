"""
Word alignments for `elmo-align-parallel`: Pharaoh files checked line by line, the two
symmetrisations on hand-made cases, the link filters, and eflomal on identical sentences.
"""

import os

import pytest
from helpers.demo_training import REPO_ROOT

from allennlp_multilang_elmo.alignment.corpus import read_sentences
from allennlp_multilang_elmo.alignment.word_alignment import (
    check_line_counts,
    eflomal_alignment,
    filter_links,
    format_links,
    is_punctuation,
    one_to_one,
    parse_links,
    read_pharaoh,
    symmetrize,
)

CORPUS = os.path.join(REPO_ROOT, "data", "ud-pud", "en_pud-ud-train.conllu")


def test_a_pharaoh_line_is_parsed_sorted_and_once():
    assert parse_links("a.txt", 1, "2-1 0-0  1-2 0-0") == [(0, 0), (1, 2), (2, 1)]
    assert parse_links("a.txt", 1, "") == []
    assert format_links([(0, 0), (1, 2)]) == "0-0 1-2"


@pytest.mark.parametrize("field", ["0:1", "0-", "-1-2", "a-b", "1-2-3"])
def test_a_malformed_link_names_the_file_and_line(field):
    with pytest.raises(ValueError, match=rf"a.txt, line 7: '{field}' is not a link"):
        parse_links("a.txt", 7, f"0-0 {field}")


def test_a_link_out_of_range_names_the_file_line_and_lengths(tmp_path):
    path = tmp_path / "links.txt"
    path.write_text("0-0 1-1\n0-0 2-1\n")
    links = read_pharaoh(str(path), [(2, 2), (2, 3)], "pairs.tsv")
    assert next(links) == [(0, 0), (1, 1)]
    with pytest.raises(
        ValueError,
        match=rf"{path}, line 2: the link 2-1 is out of range: line 2 of pairs.tsv has 2 source "
        "and 3 target tokens",
    ):
        next(links)


@pytest.mark.parametrize(("lines", "line"), [(3, 4), (5, 5)])
def test_another_number_of_lines_names_both_files_and_the_first_line_without_counterpart(
    tmp_path, lines, line
):
    alignment = tmp_path / "links.txt"
    alignment.write_text("0-0\n" * lines)
    with pytest.raises(ValueError, match=rf"has {lines} lines and the parallel file .* 4: line "):
        check_line_counts(str(alignment), "pairs.tsv", 4)
    with pytest.raises(ValueError, match=f"line {line} of "):
        check_line_counts(str(alignment), "pairs.tsv", 4)
    check_line_counts(str(alignment), "pairs.tsv", lines)


def test_intersection_keeps_the_links_both_directions_found():
    forward = [(0, 0), (1, 1), (2, 1)]
    reverse = [(0, 0), (1, 1), (1, 2)]
    assert symmetrize(forward, reverse, "intersection") == [(0, 0), (1, 1)]


def test_grow_diag_adds_union_neighbours_of_an_unaligned_token():
    forward = [(0, 0), (1, 1), (2, 1)]
    reverse = [(0, 0), (1, 1), (1, 2)]
    assert symmetrize(forward, reverse, "grow-diag-final-and") == [(0, 0), (1, 1), (1, 2), (2, 1)]
    # A union link next to a link, between two aligned tokens, is not added.
    assert symmetrize([(0, 0), (1, 1), (0, 1)], [(0, 0), (1, 1)], "grow-diag-final-and") == [
        (0, 0),
        (1, 1),
    ]


def test_grow_diag_grows_along_a_diagonal_in_rounds():
    # (1, 1) joins (0, 0), then (2, 2) joins (1, 1): the growth repeats until nothing is added.
    forward = [(0, 0), (1, 1), (2, 2)]
    reverse = [(0, 0)]
    assert symmetrize(forward, reverse, "grow-diag-final-and") == [(0, 0), (1, 1), (2, 2)]


def test_final_and_adds_a_far_link_only_between_two_unaligned_tokens():
    assert symmetrize([(0, 0), (3, 3)], [(0, 0)], "grow-diag-final-and") == [(0, 0), (3, 3)]
    # Target 0 is aligned already: final-and (unlike final) leaves (3, 0) out.
    assert symmetrize([(0, 0), (3, 0)], [(0, 0)], "grow-diag-final-and") == [(0, 0)]


def test_an_unknown_symmetrization_is_refused():
    with pytest.raises(ValueError, match="unknown symmetrisation 'union': one of intersection"):
        symmetrize([], [], "union")


def test_one_to_one_drops_every_link_of_a_token_with_several():
    assert one_to_one([(0, 0), (1, 1), (1, 2), (3, 3), (4, 3)]) == [(0, 0)]


def test_punctuation_is_all_unicode_punctuation():
    assert all(map(is_punctuation, [".", ",", "«", "¿", "...", "—", "'", "--"]))
    assert not any(map(is_punctuation, ["l'", "a", "3", "+", "$", "", "C++"]))


def test_filters_apply_in_order_and_count_what_they_remove():
    source = ["Le", "chat", ",", "Paris", "noir"]
    target = ["The", "cat", ",", "Paris", "black", "dark"]
    links = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (4, 5)]
    counts = {}
    kept = filter_links(links, source, target, True, True, True, counts=counts)
    assert kept == [(0, 0), (1, 1)]
    assert counts == {"not_one_to_one": 2, "punctuation": 1, "identical": 1}
    assert filter_links(links, source, target) == links


def test_eflomal_aligns_identical_sentences_on_the_diagonal():
    # Real sentences: on a dozen sentences that share no word, which word is which is not
    # identifiable from counts, and eflomal is right to be unsure.
    sentences = [sentence for _, sentence in zip(range(16), read_sentences(CORPUS, 400))]
    for symmetrization in ("intersection", "grow-diag-final-and"):
        links, counts = eflomal_alignment(sentences, sentences, symmetrization)
        assert counts["forward_links"] >= 0.95 * sum(map(len, sentences))
        # eflomal samples from a clock seed: now and then a run puts a link of these ~400 off the
        # diagonal (seen in a full run of the suite).
        on_diagonal = [i == j for pair_links in links for i, j in pair_links]
        assert sum(on_diagonal) >= 0.98 * len(on_diagonal)
        assert sum(map(len, links)) >= 0.95 * sum(map(len, sentences))


def test_eflomal_gives_one_token_of_its_own_to_a_token_with_a_no_break_space():
    # eflomal splits its input lines at whitespace; each of our tokens must stay one token.
    source = [["10\u00a0000", "km", "."]] * 4 + [["a", "b"]] * 4
    links, _ = eflomal_alignment(source, source)
    assert all(
        i < len(s) and j < len(s) for pair_links, s in zip(links, source) for i, j in pair_links
    )
    # eflomal samples from a clock seed and now and then leaves a pair without links (seen in a
    # full run of the suite): some of the four pairs with the no-break space must have them.
    assert any(links[:4])
