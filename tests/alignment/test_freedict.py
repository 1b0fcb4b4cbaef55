import gzip

import pytest

from allennlp_multilang_elmo.alignment.freedict import (
    article_pairs,
    decode_base64_number,
    encode_base64_number,
    freedict_files,
    read_dictd_data,
    read_freedict,
)

# (index headword, article), in index order; written to the data file in the reverse order, so
# that only the index's offsets find them. Modelled on FreeDict's fra-eng and deu-eng articles.
ARTICLES = [
    ("00databaseshort", "FreeDict\nTest, dictionary\n"),  # metadata: would give pairs otherwise
    ("00-database-url", "url\nhttp, freedict\n"),
    (
        "abaisser",
        "abaisser /abɛse/ <v>\n1. cry down, cut up, demolish\n2. abase\n3. decrease, lower\n",
    ),
    # A typographic hyphen (U+2010), as eng-fra writes them.
    ("apresmidi", "après\u2010midi /apʀɛmidi/ <n, masc>\nafternoon (time of day)\n"),
    ("boite aux lettres", "boîte aux lettres /bwatolɛtʀ/ <n, fem>\nletterbox, mailbox\n"),
    (
        "chat",
        "chat /ʃa/ <n, masc>\ncat [zool.], tomcat; puss <coll.>\n [fam.] pussycat\n"
        "   Synonyms: {matou}\n\n see: {chatte}\n\n",
    ),
    ("paris", "Paris /paʀi/ <n>\nParis\n"),
    ("quelqu'un", "quelqu'un /kɛlkœ̃/ (quelqu'une) <pron>\nsomebody, someone, some one\n"),
    (
        "avocat",
        "avocat /avɔka/ <n, masc>\n1. lawyer <n>, attorney <n> [Am.] att.,  /ˈat/ atty,  "
        "/(en)ˈati(de)/\n2. avocado, avocado-pear, shop/store\n",
    ),
    ("dix", "dix /dis/ <num>\nten, 10\n"),
    ("", "\n"),  # deu-eng has index lines without a headword
]

EXPECTED = [
    ("abaisser", "demolish"),
    ("abaisser", "abase"),
    ("abaisser", "decrease"),
    ("abaisser", "lower"),
    ("après-midi", "afternoon"),
    ("chat", "cat"),
    ("chat", "tomcat"),
    ("chat", "puss"),
    ("Paris", "Paris"),
    ("quelqu'un", "somebody"),
    ("quelqu'un", "someone"),
    ("avocat", "lawyer"),
    ("avocat", "atty"),
    ("avocat", "avocado"),
    ("avocat", "avocado-pear"),
    ("dix", "ten"),
]


def write_dictd(folder, name="fra-eng", articles=ARTICLES, compress=True, extra_index_lines=()):
    """Writes `name.index` and `name.dict.dz` (or `name.dict`); returns both paths."""
    data = b""
    offsets = {}
    for index_headword, article in reversed(articles):
        offsets[index_headword] = (len(data), len(article.encode("utf-8")))
        data += article.encode("utf-8")
    index = folder / f"{name}.index"
    lines = [
        f"{headword}\t{encode_base64_number(offset)}\t{encode_base64_number(length)}"
        for headword, (offset, length) in ((h, offsets[h]) for h, _ in articles)
    ]
    index.write_text("\n".join(lines + list(extra_index_lines)) + "\n", encoding="utf-8")
    if compress:
        dict_path = folder / f"{name}.dict.dz"
        dict_path.write_bytes(gzip.compress(data))
    else:
        dict_path = folder / f"{name}.dict"
        dict_path.write_bytes(data)
    return str(index), str(dict_path)


def test_base64_numbers():
    assert [decode_base64_number(text) for text in ("A", "B", "/", "BA", "CE")] == [
        0,
        1,
        63,
        64,
        132,
    ]
    # freedict-fra-eng.index: "abaissement<TAB>IT7<TAB>CE", I = 8, T = 19, 7 = 59.
    assert decode_base64_number("IT7") == 8 * 64 * 64 + 19 * 64 + 59
    for value in (0, 1, 63, 64, 4095, 4096, 10**9):
        assert decode_base64_number(encode_base64_number(value)) == value
    assert encode_base64_number(64) == "BA"
    for bad in ("", "A=", "a b"):
        with pytest.raises(ValueError):
            decode_base64_number(bad)


def test_pairs_of_a_dictzip_dictionary(tmp_path):
    index, dict_path = write_dictd(tmp_path)
    assert read_freedict(index, dict_path) == EXPECTED


def test_plain_data_file_and_the_files_beside_the_index(tmp_path):
    index, dict_path = write_dictd(tmp_path, compress=False)
    assert dict_path.endswith(".dict") and read_dictd_data(dict_path)[:1] == b"\n"
    assert read_freedict(index, dict_path) == EXPECTED
    for named in (index, dict_path, str(tmp_path / "fra-eng")):
        assert freedict_files(named) == (index, dict_path)
    # With both, the dictzip is taken.
    compressed = tmp_path / "fra-eng.dict.dz"
    compressed.write_bytes(gzip.compress(read_dictd_data(dict_path)))
    assert freedict_files(index) == (index, str(compressed))


def test_missing_files(tmp_path):
    with pytest.raises(ValueError, match=r"the dictd index '.*nothing.index' .*does not exist"):
        freedict_files(str(tmp_path / "nothing.index"))
    (tmp_path / "lonely.index").write_text("chat\tA\tB\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"no data file beside it: neither '.*lonely.dict.dz'"):
        freedict_files(str(tmp_path / "lonely.index"))
    with pytest.raises(ValueError, match=r"the dictd data file '.*none.dict.dz' does not exist"):
        read_freedict(str(tmp_path / "lonely.index"), str(tmp_path / "none.dict.dz"))


def test_articles():
    # The headword ends at the pronunciation, forms or grammar; notes nest.
    assert article_pairs("Eis /aɪs/ <n>\nice (cream (dessert)), ice-cream\n") == [
        ("Eis", "ice"),
        ("Eis", "ice-cream"),
    ]
    assert article_pairs("eins (one) <num>\n12. one; single\n") == [
        ("eins", "one"),
        ("eins", "single"),
    ]
    assert article_pairs("ohne\nwithout\n") == [("ohne", "without")]
    # Not single words: digits, inner spaces, doubled or outer hyphens; indented lines skipped.
    assert article_pairs("x1 /x/\nten\n") == []
    assert article_pairs("rot\nred-, -red, re--d, r2d, red\n   Note: crimson\n") == [("rot", "red")]
    assert article_pairs("leer\n\n") == []


@pytest.mark.parametrize(
    "line, message",
    [
        ("chien\tA", r"line 12: expected 'headword<TAB>offset<TAB>length', found 2"),
        ("chien\tA\tB\tC", r"line 12: expected 'headword<TAB>offset<TAB>length', found 4"),
        ("", r"line 12: expected 'headword<TAB>offset<TAB>length', found 1"),
        ("chien\tA!\tB", r"line 12: the offset 'A!' is malformed: '!' is no digit"),
        ("chien\tA\t", r"line 12: the length '' is malformed: an empty number"),
        (
            "chien\tBAAA\tB",
            r"line 12: the article of 'chien' \(offset 262144, length 1\) ends past",
        ),
    ],
)
def test_bad_index_lines_name_the_file_and_line(tmp_path, line, message):
    index, dict_path = write_dictd(tmp_path, extra_index_lines=[line])
    with pytest.raises(ValueError, match=r"fra-eng.index, " + message):
        read_freedict(index, dict_path)


def test_index_of_another_data_file(tmp_path):
    index, dict_path = write_dictd(tmp_path)
    size = len(read_dictd_data(dict_path))
    # The last byte is inside the data, one more is not.
    inside = f"dernier\t{encode_base64_number(size - 1)}\tB"
    outside = f"dernier\t{encode_base64_number(size - 1)}\tC"
    index, dict_path = write_dictd(tmp_path, extra_index_lines=[inside])
    assert read_freedict(index, dict_path) == EXPECTED
    index, dict_path = write_dictd(tmp_path, extra_index_lines=[outside])
    with pytest.raises(ValueError, match=rf"line 12: .* ends past the end of .* \({size} bytes"):
        read_freedict(index, dict_path)


def test_bad_data_and_no_pairs(tmp_path):
    index, dict_path = write_dictd(tmp_path)
    with open(dict_path, "r+b") as f:  # a gzip header with broken data
        f.seek(12)
        f.write(b"\xff" * 20)
    with pytest.raises(ValueError, match=r"fra-eng.dict.dz: not a readable dictzip"):
        read_freedict(index, dict_path)
    index, dict_path = write_dictd(tmp_path, "empty", articles=ARTICLES[:2] + ARTICLES[4:5])
    with pytest.raises(ValueError, match=r"'.*empty.index' .*holds no single-word pairs"):
        read_freedict(index, dict_path)
    index, dict_path = write_dictd(tmp_path, "latin1", articles=[("é", "é\ne\n")])
    with open(dict_path, "wb") as f:
        f.write(gzip.compress("é\ne\n".encode("latin-1") + b"   "))
    with pytest.raises(ValueError, match=r"latin1.index, line 1: .* is not valid UTF-8"):
        read_freedict(index, dict_path)
