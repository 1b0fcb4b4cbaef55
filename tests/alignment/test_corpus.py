import pytest

from allennlp_multilang_elmo.alignment.corpus import read_sentences
from allennlp_multilang_elmo.common.corpus_files import corpus_files

CONLLU = """# sent_id = 1
1-2\tdel\t_\t_\t_\t_\t_\t_\t_\t_
1\tde\tde\tADP\t_\t_\t3\tcase\t_\t_
2\tel\tel\tDET\t_\t_\t3\tdet\t_\t_
3\tgato\tgato\tNOUN\t_\t_\t0\troot\t_\t_
3.1\tes\t_\t_\t_\t_\t_\t_\t_\t_

1\tSí\tsí\tINTJ\t_\t_\t0\troot\t_\t_
"""


def test_conllu_forms_without_multiword_tokens_and_empty_nodes(tmp_path):
    path = tmp_path / "es.conllu"
    path.write_text(CONLLU, encoding="utf-8")
    assert list(read_sentences(str(path), 100)) == [["de", "el", "gato"], ["Sí"]]


def test_plain_text_one_sentence_per_line(tmp_path):
    path = tmp_path / "en.txt"
    path.write_text("The cat  sleeps .\n\n  \nYes\n", encoding="utf-8")
    assert list(read_sentences(str(path), 100)) == [["The", "cat", "sleeps", "."], ["Yes"]]


def test_globs_expand_in_order_and_each_file_once(tmp_path):
    for name in ("b.txt", "a.txt", "c.conllu"):
        (tmp_path / name).write_text("x\n")
    files = corpus_files([str(tmp_path / "*.txt"), str(tmp_path / "a.txt"), str(tmp_path / "c*")])
    assert [f.rsplit("/", 1)[1] for f in files] == ["a.txt", "b.txt", "c.conllu"]


def test_a_pattern_without_files_is_an_error(tmp_path):
    with pytest.raises(ValueError, match=r"the corpus '.*nothing\*\.txt' matches no file"):
        corpus_files([str(tmp_path / "nothing*.txt")])


def test_non_utf8_text_names_file_and_line(tmp_path):
    path = tmp_path / "en.txt"
    path.write_bytes(b"fine line\nbad \xff line\n")
    with pytest.raises(ValueError, match=r"en.txt, line 2: not valid UTF-8"):
        list(read_sentences(str(path), 100))


def test_non_utf8_conllu_names_file_and_line(tmp_path):
    path = tmp_path / "es.conllu"
    path.write_bytes(CONLLU.encode("utf-8").replace("Sí".encode("utf-8"), b"S\xff"))
    with pytest.raises(ValueError, match=r"es.conllu, line 8: not valid UTF-8"):
        list(read_sentences(str(path), 100))


def test_malformed_conllu_line_names_file_and_line(tmp_path):
    path = tmp_path / "es.conllu"
    path.write_text(CONLLU.replace("2\tel\tel\tDET", "2\tel DET"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"es.conllu, line 4: expected 10 tab-separated columns"):
        list(read_sentences(str(path), 100))


@pytest.mark.parametrize(
    "name, content, line", [("en.txt", "short\nfar too long\n", 2), ("es.conllu", CONLLU, 1)]
)
def test_over_long_sentences_name_file_and_line(tmp_path, name, content, line):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"{name}, line {line}: a sentence of 3 tokens, more"):
        list(read_sentences(str(path), 2))


def test_binary_input_is_refused_naming_file_and_line(tmp_path):
    text, treebank = tmp_path / "es.txt", tmp_path / "es.conllu"
    text.write_bytes(b"una frase\n\x00\x00\x00\x00\n")
    treebank.write_bytes(CONLLU.encode("utf-8").replace(b"el\tel", b"e\x00l\tel", 1))
    with pytest.raises(ValueError, match=r"es.txt, line 2: a NUL byte"):
        list(read_sentences(str(text), 100))
    with pytest.raises(ValueError, match=r"es.conllu, line \d+: a NUL byte"):
        list(read_sentences(str(treebank), 100))


def test_only_newlines_end_lines(tmp_path):
    # U+2028 and U+0085 are line breaks to Python's splitlines, characters to CoNLL-U and text.
    text = tmp_path / "es.txt"
    text.write_text("una\u2028frase con\u0085rupturas\n", encoding="utf-8")
    (sentence,) = read_sentences(str(text), 100)  # one line, one sentence
    assert sentence[-1] == "rupturas"
