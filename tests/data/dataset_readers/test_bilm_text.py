import pytest
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.data.tokenizers import WhitespaceTokenizer

from allennlp_multilang_elmo.data.dataset_readers.bilm_text import BilmTextDatasetReader


def words_of(instance):
    return [token.text for token in instance["tokens"].tokens]


def write(tmp_path, text, name="corpus.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_streams_interleave_contiguous_parts(tmp_path):
    # 7 sentences, 3 streams: parts [0, 1, 2], [3, 4], [5, 6]; batch k holds sentence k of each.
    path = write(tmp_path, "".join(f"s{i}\n" for i in range(7)))
    reader = BilmTextDatasetReader(num_streams=3, tokenizer=WhitespaceTokenizer())
    order = [words_of(instance)[1] for instance in reader.read(path)]
    assert order == ["s0", "s3", "s5", "s1", "s4", "s6", "s2"]


def test_batches_continue_each_rows_text(tmp_path):
    path = write(tmp_path, "".join(f"s{i}\n" for i in range(10)))
    reader = BilmTextDatasetReader(num_streams=4, tokenizer=WhitespaceTokenizer())
    loader = MultiProcessDataLoader(reader, path, batch_size=4, shuffle=False)
    vocab = Vocabulary.from_instances(loader.iter_instances())
    loader.index_with(vocab)
    rows = [
        [vocab.get_token_from_index(int(ids[1])) for ids in batch["tokens"]["tokens"]["tokens"]]
        for batch in loader
    ]
    # Parts [s0 s1 s2] [s3 s4 s5] [s6 s7] [s8 s9]: a shorter last batch keeps its first rows.
    assert rows == [["s0", "s3", "s6", "s8"], ["s1", "s4", "s7", "s9"], ["s2", "s5"]]


def test_tsv_column_spacy_rules_and_boundaries(tmp_path):
    path = write(tmp_path, "Gen 1:1\tGod's light, \u201cgood.\u201d\tLa luz.\n", "bible.tsv")
    english = BilmTextDatasetReader(column=1, language="en").read(path)
    assert [words_of(instance) for instance in english] == [
        ["<S>", "God", "'s", "light", ",", "\u201c", "good", ".", "\u201d", "</S>"]
    ]
    spanish = BilmTextDatasetReader(column=2, language="es").read(path)
    assert [words_of(instance) for instance in spanish] == [["<S>", "La", "luz", ".", "</S>"]]


def test_long_sentences_are_cut_into_pieces(tmp_path):
    path = write(tmp_path, "a b c d e\n")
    reader = BilmTextDatasetReader(tokenizer=WhitespaceTokenizer(), max_sentence_length=2)
    assert reader.read_sentences(path) == [["a", "b"], ["c", "d"], ["e"]]


@pytest.mark.parametrize(
    "text, column, message",
    [
        ("", None, "is empty"),
        ("\n \n\n", None, "is empty"),
        ("a\t\nb\t \n", 1, "is empty: column 1 of its lines"),
        ("a\tb\nc\n", 1, r"line 2: no column 1 \(0-based; the line has 1"),
    ],
)
def test_bad_corpora_are_named(tmp_path, text, column, message):
    path = write(tmp_path, text)
    reader = BilmTextDatasetReader(column=column)
    with pytest.raises(ConfigurationError, match=message) as error:
        reader.read_sentences(path)
    assert path in str(error.value)


def test_non_utf8_and_missing_files(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("ok\nse\u00f1or\n".encode("latin-1"))
    with pytest.raises(ConfigurationError, match="line 2: not valid UTF-8"):
        BilmTextDatasetReader().read_sentences(str(path))
    with pytest.raises(ConfigurationError, match="Cannot read the corpus"):
        BilmTextDatasetReader().read_sentences(str(tmp_path / "missing.txt"))


def test_parameters_are_checked():
    with pytest.raises(ConfigurationError, match="num_streams"):
        BilmTextDatasetReader(num_streams=0)
    with pytest.raises(ConfigurationError, match="column"):
        BilmTextDatasetReader(column=-1)
