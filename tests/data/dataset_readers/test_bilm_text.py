import glob
import random

import pytest
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.data.dataset_readers.dataset_reader import DistributedInfo, WorkerInfo
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


def contiguous_parts(sentences, parts):
    """The reader's order, computed in memory: sentence k of every part, for each k in turn."""
    size, longer = divmod(len(sentences), parts)
    starts = [r * size + min(r, longer) for r in range(parts)]
    return [
        sentences[starts[r] + k]
        for k in range(size + 1)
        for r in range(parts if k < size else longer)
    ]


def random_shards(tmp_path, seed, shards=3):
    """The glob of a few shards of random lines, some blank, some long."""
    generator = random.Random(seed)
    folder = tmp_path / "shards"
    folder.mkdir()
    for shard in range(shards):
        lines = []
        for _ in range(generator.randint(0, 30)):
            words = [f"w{generator.randint(0, 99)}" for _ in range(generator.choice([0, 1, 4, 9]))]
            lines.append(" ".join(words))
        # Shards are read in sorted order: names that sort differently from creation.
        (folder / f"part-{shards - shard:02d}.txt").write_text(
            "".join(f"{line}\n" for line in lines), encoding="utf-8"
        )
    return str(folder / "part-*.txt")


@pytest.mark.parametrize("seed, num_streams", [(1, 1), (2, 3), (3, 7), (4, 64)])
def test_streamed_shards_are_contiguous_parts_of_the_corpus(tmp_path, seed, num_streams):
    pattern = random_shards(tmp_path, seed)
    reader = BilmTextDatasetReader(
        num_streams=num_streams, tokenizer=WhitespaceTokenizer(), max_sentence_length=4
    )
    files = sorted(glob.glob(pattern))
    in_order = [
        words[start : start + 4]
        for path in files
        for line in open(path, encoding="utf-8").read().splitlines()
        for words in [line.split()]
        for start in range(0, len(words), 4)
    ]
    assert reader.read_sentences(pattern) == in_order
    expected = contiguous_parts(in_order, min(num_streams, len(in_order)))
    for _ in range(2):  # the second epoch reuses the first one's count and part starts
        assert [words_of(instance)[1:-1] for instance in reader.read(pattern)] == expected


def test_a_changed_corpus_is_counted_again(tmp_path):
    path = write(tmp_path, "a\nb\nc\n")
    reader = BilmTextDatasetReader(num_streams=2, tokenizer=WhitespaceTokenizer())
    assert [words_of(i)[1] for i in reader.read(path)] == ["a", "c", "b"]
    write(tmp_path, "a\nb\nc\nd\ne\n")
    assert [words_of(i)[1] for i in reader.read(path)] == ["a", "d", "b", "e", "c"]


def test_distributed_processes_read_their_own_streams(tmp_path):
    path = write(tmp_path, "".join(f"s{i}\n" for i in range(11)))
    reader = BilmTextDatasetReader(num_streams=2, tokenizer=WhitespaceTokenizer())
    read = {}
    for rank in (0, 1):
        reader._set_distributed_info(DistributedInfo(world_size=2, global_rank=rank))
        read[rank] = [words_of(instance)[1] for instance in reader.read(path)]
    # 4 parts [s0 s1 s2] [s3 s4 s5] [s6 s7 s8] [s9 s10]: process 0 reads the first two, process
    # 1 the others; the last, partial round (s2 s5 s8) is left out: both train 2 batches.
    assert read == {0: ["s0", "s3", "s1", "s4"], 1: ["s6", "s9", "s7", "s10"]}
    reader._set_distributed_info(DistributedInfo(world_size=8, global_rank=0))
    with pytest.raises(ConfigurationError, match="11 sentences, fewer than the 16 streams of 8"):
        list(reader.read(path))


def test_shards_and_workers_are_checked(tmp_path):
    with pytest.raises(ConfigurationError, match="matches no file"):
        BilmTextDatasetReader().read_sentences(str(tmp_path / "none-*.txt"))
    path = write(tmp_path, "a\n")
    reader = BilmTextDatasetReader(tokenizer=WhitespaceTokenizer())
    reader._set_worker_info(WorkerInfo(num_workers=2, id=0))
    with pytest.raises(ConfigurationError, match="without workers"):
        list(reader.read(path))
