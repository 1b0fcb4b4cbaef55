import hashlib
import json
import os

import h5py
import numpy
import pytest
import torch
from allennlp.modules.elmo import batch_to_ids

from allennlp_multilang_elmo.alignment.align import align_anchor_layers
from allennlp_multilang_elmo.alignment.anchors import (
    AnchorAccumulator,
    character_ids,
    compute_anchors,
    elmo_anchors,
)
from allennlp_multilang_elmo.alignment.word_vectors import read_word_vectors
from allennlp_multilang_elmo.modules.elmo_bilm import build_bilm
from allennlp_multilang_elmo.modules.tiny_elmo import write_elmo_model

SENTENCES = [["a", "b", "a", "c"], ["b", "a"], ["d", "a", "b"]]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return write_elmo_model(str(tmp_path_factory.mktemp("elmo")), seed=2)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in SENTENCES) + "\n", encoding="utf-8")
    return str(path)


def test_anchors_are_the_mean_contextual_vectors(model, corpus, tmp_path):
    summary = elmo_anchors(*model, [corpus], str(tmp_path / "out"), batch_size=8)
    # The same biLM on the same single batch, averaged by hand.
    output = build_bilm(*model).eval()(batch_to_ids(SENTENCES))
    expected = {}
    for layer in range(3):
        vectors = output["activations"][layer].detach().double()
        for row, sentence in enumerate(SENTENCES):
            for position, word in enumerate(sentence):
                expected.setdefault((layer, word), []).append(vectors[row, position + 1].numpy())
        anchors = read_word_vectors(str(tmp_path / "out" / f"anchors_layer{layer}.vec"))
        # Most frequent first; ties in order of first occurrence.
        assert anchors.words == ["a", "b", "c", "d"]
        for word, vector in zip(anchors.words, anchors.vectors):
            numpy.testing.assert_allclose(
                vector, numpy.mean(expected[(layer, word)], axis=0), rtol=1e-6, atol=1e-6
            )
        all_tokens = numpy.concatenate([expected[(layer, w)] for w in "abcd"])
        assert summary["mean_norms"][str(layer)] == pytest.approx(
            numpy.linalg.norm(all_tokens, axis=1).mean()
        )
    with open(tmp_path / "out" / "anchors.json") as f:
        assert json.load(f) == summary
    assert summary["counts"] == {"a": 4, "b": 3, "c": 1, "d": 1}
    assert (summary["num_sentences"], summary["num_tokens"]) == (3, 9)
    assert summary["input_files"] == [corpus] and summary["layers"] == [0, 1, 2]
    assert summary["weight_file_sha256"] == hashlib.sha256(open(model[1], "rb").read()).hexdigest()


def test_layers_vocabulary_min_count_and_max_sentences(model, corpus, tmp_path):
    vocabulary = tmp_path / "vocab.txt"
    vocabulary.write_text("c 10\nb\nzzz\n", encoding="utf-8")
    out = tmp_path / "out"
    summary = elmo_anchors(*model, [corpus], str(out), layers=[2], vocabulary_file=str(vocabulary))
    assert sorted(os.listdir(out)) == ["anchors.json", "anchors_layer2.vec"]
    assert summary["counts"] == {"b": 3, "c": 1}
    assert summary["num_tokens"] == 9  # every token counts for the norms
    summary = elmo_anchors(*model, [corpus], str(out), min_count=2, max_sentences=2)
    assert summary["counts"] == {"a": 3, "b": 2} and summary["num_sentences"] == 2


def test_character_ids_equal_batch_to_ids():
    batch = [["Über", "x" * 80, "."], [], ["<S>", "</S>", "Über"]]
    assert torch.equal(character_ids(batch), batch_to_ids(batch))


def test_accumulator_memory_is_bounded_by_the_vocabulary():
    vocabulary = [f"w{i}" for i in range(3000)]
    accumulator = AnchorAccumulator(num_layers=3, dim=8)
    rng = numpy.random.RandomState(0)
    sizes = []
    for corpus_pass in range(5):
        for start in range(0, 3000, 100):
            sentences = [vocabulary[start : start + 50], vocabulary[start + 50 : start + 100]]
            accumulator.add(sentences, torch.tensor(rng.randn(3, 100, 8)))
        sizes.append(accumulator.nbytes)
    # Five times the corpus, the same memory: it depends on the vocabulary only.
    assert accumulator.num_tokens == 5 * 3000
    assert sizes == [sizes[0]] * 5
    assert sizes[0] <= 2 * (3 * 3000 * 8 * 8 + 3000 * 8) + 3 * 8


def test_compute_anchors_streams_the_corpus(model):
    bilm = build_bilm(*model).eval()
    drawn = []

    def sentences():
        for index in range(50):
            drawn.append(index)
            yield ["a", "b"]

    calls = []
    bilm.register_forward_hook(lambda *_: calls.append(len(drawn)))
    accumulator = compute_anchors(bilm, sentences(), [1], batch_size=8)
    # Each batch is drawn just before the biLM runs on it: never the whole corpus at once.
    assert calls == [8, 16, 24, 32, 40, 48, 50]
    assert accumulator.num_sentences == 50


def assert_no_output(directory):
    assert not os.path.exists(directory) or os.listdir(directory) == []


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", r"the corpus has no sentences: .*corpus.txt"),
        (b"\n  \n", r"the corpus has no sentences: .*corpus.txt"),
        (b"ok\nnot \xff ok\n", r"corpus.txt, line 2: not valid UTF-8"),
        (b"ok\n" + b"x " * 500 + b"\n", r"corpus.txt, line 2: a sentence of 500 tokens, more than"),
    ],
)
def test_bad_corpus_gives_an_error_and_no_output(model, tmp_path, content, message):
    # The bad line comes after a full batch: nothing may be written for the part already read.
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        elmo_anchors(*model, [str(corpus)], str(tmp_path / "out"), batch_size=1)
    assert_no_output(tmp_path / "out")


def test_missing_vocabulary_file(model, corpus, tmp_path):
    with pytest.raises(ValueError, match=r"the vocabulary file '.*missing.txt' does not exist"):
        elmo_anchors(*model, [corpus], str(tmp_path / "out"), vocabulary_file="missing.txt")
    assert_no_output(tmp_path / "out")


def test_layers_outside_the_model(model, corpus, tmp_path):
    with pytest.raises(ValueError, match=r"layers \[1, 3\]: this ELMo has layers 0 to 2"):
        elmo_anchors(*model, [corpus], str(tmp_path / "out"), layers=[1, 3])


@pytest.mark.parametrize(
    "engine, message",
    [
        # The engine checks the weights as it reads them; AllenNLP's biLM runs and gives NaN.
        ("engine", r"weight file '.*nan/weights.hdf5' contains NaN"),
        ("allennlp", r"the biLM of '.*nan/weights.hdf5' gives NaN or infinite vectors"),
    ],
)
def test_nan_vectors_are_refused_and_nothing_is_written(model, corpus, tmp_path, engine, message):
    options, weights = write_elmo_model(str(tmp_path / "nan"), seed=2)
    with h5py.File(weights, "r+") as f:
        f["RNN_0/RNN/MultiRNNCell/Cell0/LSTMCell/W_P_0"][0, 0] = numpy.nan
    out = tmp_path / "out"
    with pytest.raises(Exception, match=message):
        elmo_anchors(options, weights, [corpus], str(out), bilm_engine=engine)
    assert_no_output(out)
    # An output folder with earlier anchors keeps them untouched.
    elmo_anchors(*model, [corpus], str(out))
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    with pytest.raises(Exception, match=message):
        elmo_anchors(options, weights, [corpus], str(out), bilm_engine=engine)
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == before


def test_a_new_run_replaces_the_folder_of_an_earlier_one_whole(model, corpus, tmp_path):
    out = tmp_path / "out"
    elmo_anchors(*model, [corpus], str(out))
    elmo_anchors(*model, [corpus], str(out), layers=[1])
    assert sorted(os.listdir(out)) == ["anchors.json", "anchors_layer1.vec"]


def test_alignment_refuses_a_folder_that_mixes_two_runs(model, corpus, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    elmo_anchors(*model, [corpus], str(first))
    other = tmp_path / "other.txt"
    other.write_text("b a d\n", encoding="utf-8")
    elmo_anchors(*model, [str(other)], str(second))
    os.replace(second / "anchors_layer0.vec", first / "anchors_layer0.vec")
    with pytest.raises(ValueError, match=r"anchors_layer0.vec is not the file that the run of"):
        align_anchor_layers(str(first), str(first), str(tmp_path / "al.pth"))
    assert not (tmp_path / "al.pth").exists()
