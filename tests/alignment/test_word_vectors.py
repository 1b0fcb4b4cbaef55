import numpy
import pytest

from allennlp_multilang_elmo.alignment.word_vectors import read_word_vectors, write_word_vectors


def test_round_trip_keeps_words_order_and_float32_values(tmp_path):
    path = str(tmp_path / "v.vec")
    vectors = numpy.random.RandomState(0).randn(3, 4).astype(numpy.float32)
    write_word_vectors(path, ["the", "Köln", "."], vectors)
    assert open(path, encoding="utf-8").readline() == "3 4\n"
    read = read_word_vectors(path)
    assert read.words == ["the", "Köln", "."]
    numpy.testing.assert_array_equal(read.vectors.astype(numpy.float32), vectors)


@pytest.mark.parametrize(
    "content, line, message",
    [
        ("3\na 1\n", 1, "expected a header '<count> <dim>'"),
        ("x 2\na 1 2\n", 1, "expected a header"),
        ("", 1, "expected a header"),
        ("2 2\na 1 2\nb 1\n", 3, "expected a word and 2 numbers"),
        ("1 2\na 1 two\n", 2, "the vector of 'a' is not numbers"),
        ("2 2\na 1 2\nb nan 2\n", 3, "the vector of 'b' contains NaN"),
        ("2 2\na 1 2\na 3 4\n", 3, "the word 'a' appears twice"),
        ("3 2\na 1 2\nb 3 4\n", 1, "the header announces 3 words, but the file has 2"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path, content, line, message):
    path = tmp_path / "bad.vec"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"bad.vec, line {line}: {message}"):
        read_word_vectors(str(path))


def test_non_utf8_row_names_file_and_line(tmp_path):
    path = tmp_path / "bad.vec"
    path.write_bytes(b"2 1\na 1\n\xff 2\n")
    with pytest.raises(ValueError, match=r"bad.vec, line 3: not valid UTF-8"):
        read_word_vectors(str(path))


@pytest.mark.parametrize(
    "words, vectors, message",
    [
        (["a b"], [[1.0]], "contains whitespace"),
        ([""], [[1.0]], "is empty"),
        (["a"], [[float("nan")]], "NaN or infinity"),
    ],
)
def test_writer_refuses_what_the_format_cannot_hold(tmp_path, words, vectors, message):
    with pytest.raises(ValueError, match=message):
        write_word_vectors(str(tmp_path / "v.vec"), words, numpy.array(vectors))
