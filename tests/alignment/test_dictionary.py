import pytest

from allennlp_multilang_elmo.alignment.dictionary import (
    inverted,
    lowercased,
    merge_pairs,
    read_dictionary,
    write_dictionary,
)


def test_muse_and_tab_separated_lines(tmp_path):
    path = tmp_path / "fr-en.tsv"
    # The shared dict/*.tsv layout, a MUSE line, a repeat, a blank line and spaces around a field.
    path.write_text(
        "Aix-la-Chapelle\tAix-la-Chapelle\nchat\tcat\nchat cat\n\nchat\ttomcat \n"
        "quelqu'un someone\n",
        encoding="utf-8",
    )
    assert read_dictionary(str(path)) == [
        ("Aix-la-Chapelle", "Aix-la-Chapelle"),
        ("chat", "cat"),
        ("chat", "tomcat"),
        ("quelqu'un", "someone"),
    ]


@pytest.mark.parametrize(
    "content, message",
    [
        ("a b\nc d e\n", r"line 2: expected 'source target', found 3 fields"),
        ("a\tb\nc\td\te\n", r"line 2: expected 'source<TAB>target', found 3 tab-separated"),
        ("a\tb\nglace\tice cream\n", r"line 2: the target 'ice cream' is not a single word"),
        ("a\tb\n\tice\n", r"line 2: the source '' is not a single word"),
        ("\n\n", r"holds no pairs"),
    ],
)
def test_malformed_lines_name_the_file_and_line(tmp_path, content, message):
    path = tmp_path / "fr-en.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_dictionary(str(path))
    with pytest.raises(ValueError, match=r"'.*missing.txt' does not exist"):
        read_dictionary(str(tmp_path / "missing.txt"))


def test_merge_invert_lowercase_round_trip(tmp_path):
    first = [("Chat", "Cat"), ("chat", "cat")]
    second = [("cat", "chat"), ("tomcat", "chat")]
    assert inverted(second) == [("chat", "cat"), ("chat", "tomcat")]
    assert lowercased(first) == [("chat", "cat")]
    assert merge_pairs([first, inverted(second)]) == [
        ("Chat", "Cat"),
        ("chat", "cat"),
        ("chat", "tomcat"),
    ]
    path = tmp_path / "out.txt"
    write_dictionary(str(path), merge_pairs([first, inverted(second)]))
    assert path.read_text(encoding="utf-8") == "Chat Cat\nchat cat\nchat tomcat\n"
    assert read_dictionary(str(path)) == merge_pairs([first, inverted(second)])
