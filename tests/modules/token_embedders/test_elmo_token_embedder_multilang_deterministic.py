"""Deterministic mode and the activation cache of the multilingual embedder."""

import io
import json
import logging
import os
import subprocess
import sys

import lmdb
import numpy
import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import AllenNlpTestCase
from allennlp.modules.elmo import batch_to_ids
from allennlp.modules.token_embedders import TokenEmbedder

from allennlp_multilang_elmo.modules.alignment_matrix import write_alignment
from allennlp_multilang_elmo.modules.elmo_activation_cache import _to_bytes as cache_bytes
from allennlp_multilang_elmo.modules.tiny_elmo import write_multilang_elmo
from allennlp_multilang_elmo.modules.token_embedders import (
    DeterministicElmoTokenEmbedderMultiLang,
    ElmoTokenEmbedderMultiLang,
)

SENTENCES = [
    ["The", "cat", "sat", "."],
    ["Die", "Katze", "schläft"],
    ["Le", "chat", "dort", "bien", "ici", "."],
    ["Un"],
]


class CountingBiLm(torch.nn.Module):
    """Wraps a biLM and counts the sentences it is asked to run."""

    def __init__(self, bilm):
        super().__init__()
        self.bilm, self.sentences = bilm, 0
        self.num_layers = bilm.num_layers

    def forward(self, *args, **kwargs):
        self.sentences += args[0].size(0)
        return self.bilm(*args, **kwargs)


class TestDeterministicMode(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        self.files = write_multilang_elmo(str(self.TEST_DIR / "elmo"), ["en", "fr"])
        self.cache = str(self.TEST_DIR / "cache")

    def embedder(self, **kwargs):
        return ElmoTokenEmbedderMultiLang(
            **{"dropout": 0.0, "deterministic": True, **self.files, **kwargs}
        )

    def test_same_output_whatever_the_batch_and_its_order(self):
        embedder = self.embedder()
        together = embedder(batch_to_ids(SENTENCES), "fr")
        reordered = embedder(batch_to_ids(list(reversed(SENTENCES))), "fr").flip(0)
        width = min(together.size(1), reordered.size(1))
        assert (together[:, :width] - reordered[:, :width]).abs().max() <= 1e-6
        for row, sentence in enumerate(SENTENCES):
            alone = embedder(batch_to_ids([sentence]), "fr")[0]
            assert (alone - together[row, : len(sentence)]).abs().max() <= 1e-6

    @pytest.mark.parametrize("mix", [None, [-9e10, 1, -9e10]])
    def test_cache_serves_exactly_what_the_biLM_computes(self, mix):
        uncached = self.embedder(scalar_mix_parameters=mix)
        cached = self.embedder(scalar_mix_parameters=mix, activation_cache=self.cache)
        counter = cached._elmos["fr"]._bilm = CountingBiLm(cached._elmos["fr"]._bilm)
        for batch in [SENTENCES, SENTENCES[1:], list(reversed(SENTENCES))]:
            char_ids = batch_to_ids(batch)
            # Equal up to float rounding: a product over other rows may round differently.
            assert (cached(char_ids, "fr") - uncached(char_ids, "fr")).abs().max() <= 1e-6
        # Every sentence ran through the biLM once; later passes were served from the cache.
        assert counter.sentences == len(SENTENCES)
        # A fresh process (a new embedder on the same folder) reads what the first one wrote.
        again = self.embedder(scalar_mix_parameters=mix, activation_cache=self.cache)
        counter = again._elmos["fr"]._bilm = CountingBiLm(again._elmos["fr"]._bilm)
        char_ids = batch_to_ids(SENTENCES)
        assert (again(char_ids, "fr") - uncached(char_ids, "fr")).abs().max() <= 1e-6
        assert counter.sentences == 0

    def test_dropout_alignment_and_projection_still_run_on_cached_passes(self):
        embedder = self.embedder(dropout=0.5, activation_cache=self.cache, projection_dim=3)
        embedder.train()
        char_ids = batch_to_ids(SENTENCES)
        first, second = embedder(char_ids, "fr"), embedder(char_ids, "fr")
        assert first.shape == (4, 6, 3)
        assert not torch.equal(first, second)  # new dropout masks on the cached pass
        first.sum().backward()
        assert embedder._projection.weight.grad.abs().sum() > 0

    @pytest.mark.end_to_end
    def test_processes_writing_one_cache_at_once(self):
        # As data-parallel workers of a distributed run do: each process fills the shared folder
        # with its own and common sentences, at the same time.
        script = (
            "import json, sys, torch\n"
            "from allennlp.modules.elmo import batch_to_ids\n"
            "from allennlp_multilang_elmo.modules.token_embedders import "
            "ElmoTokenEmbedderMultiLang\n"
            "files, cache, sentences = json.loads(sys.argv[1])\n"
            "embedder = ElmoTokenEmbedderMultiLang(dropout=0.0, deterministic=True, "
            "activation_cache=cache, **files)\n"
            "for start in range(0, len(sentences), 2):\n"
            "    embedder(batch_to_ids(sentences[start : start + 2]), 'fr')\n"
        )
        words = [f"mot{i}" for i in range(40)]
        shards = [
            [words[i : i + 3 + i % 5] for i in range(offset, 40, 2)] + SENTENCES
            for offset in (0, 1)
        ]
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", script, json.dumps([self.files, self.cache, shard])]
            )
            for shard in shards
        ]
        assert [process.wait(timeout=120) for process in processes] == [0, 0]
        cached = self.embedder(activation_cache=self.cache)
        counter = cached._elmos["fr"]._bilm = CountingBiLm(cached._elmos["fr"]._bilm)
        fresh = self.embedder()
        for shard in shards:
            char_ids = batch_to_ids(shard)
            # Sentences batched otherwise by the writers: the same up to float rounding.
            assert (cached(char_ids, "fr") - fresh(char_ids, "fr")).abs().max() <= 1e-5
        assert counter.sentences == 0  # every sentence of both processes was stored, intact

    def test_changed_weights_never_serve_stale_activations(self):
        self.embedder(activation_cache=self.cache)(batch_to_ids(SENTENCES), "fr")
        other = write_multilang_elmo(str(self.TEST_DIR / "other"), ["en", "fr"], base_seed=7)
        files = dict(self.files, weight_files=other["weight_files"])
        fresh = ElmoTokenEmbedderMultiLang(dropout=0.0, deterministic=True, **files)
        cached = ElmoTokenEmbedderMultiLang(
            deterministic=True, dropout=0.0, activation_cache=self.cache, **files
        )
        char_ids = batch_to_ids(SENTENCES)
        assert torch.equal(cached(char_ids, "fr"), fresh(char_ids, "fr"))

    def test_a_damaged_entry_is_recomputed(self):
        embedder = self.embedder(activation_cache=self.cache)
        char_ids = batch_to_ids(SENTENCES)
        expected = embedder(char_ids, "fr")
        cache = embedder._elmos["fr"]._cache
        keys = [cache.key(char_ids[row, :length]) for row, length in enumerate([4, 3, 6])]
        archive = io.BytesIO()
        numpy.savez(archive, numpy.zeros((1, 2)))
        with cache._cache.lmdb_env.begin(write=True) as transaction:
            transaction.put(keys[0].encode(), b"not an array")  # a damaged entry
            transaction.put(keys[1].encode(), cache_bytes(numpy.zeros((1, 2))))  # a foreign one
            transaction.put(keys[2].encode(), archive.getvalue())  # an .npz, not an .npy
        assert (embedder(char_ids, "fr") - expected).abs().max() <= 1e-6
        # All were recomputed and rewritten.
        assert set(cache.lookup(keys, [6, 5, 8], 16)) == {0, 1, 2}

    def test_a_flipped_bit_is_detected_and_recomputed(self, caplog):
        embedder = self.embedder(activation_cache=self.cache)
        char_ids = batch_to_ids(SENTENCES)
        expected = embedder(char_ids, "fr")
        cache = embedder._elmos["fr"]._cache
        key = cache.key(char_ids[0, :4]).encode()
        with cache._cache.lmdb_env.begin(write=True) as transaction:
            value = bytearray(transaction.get(key))
            value[-5] ^= 0x40  # one high bit of the last float's bytes
            transaction.put(key, bytes(value))
        with caplog.at_level(logging.WARNING):
            # Recomputed alone, not in its first batch: the same up to float rounding.
            torch.testing.assert_close(embedder(char_ids, "fr"), expected, atol=1e-5, rtol=0)
            embedder(char_ids, "fr")
        assert cache.damaged == 1
        warnings = [r.getMessage() for r in caplog.records if "damaged entries" in r.getMessage()]
        assert len(warnings) == 1 and cache.path in warnings[0]

    def test_a_cache_that_cannot_be_read_or_written_only_computes(self, monkeypatch, caplog):
        embedder = self.embedder(activation_cache=self.cache)
        char_ids = batch_to_ids(SENTENCES)
        expected = self.embedder()(char_ids, "fr")
        cache = embedder._elmos["fr"]._cache

        class _Unusable:
            def begin(self, write=False):
                raise (lmdb.MapFullError if write else lmdb.CorruptedError)("unusable")

        monkeypatch.setattr(cache._cache, "lmdb_env", _Unusable())
        with caplog.at_level(logging.WARNING):
            for _ in range(2):
                assert torch.equal(embedder(char_ids, "fr"), expected)
        messages = [
            r.getMessage()
            for r in caplog.records
            if r.levelno >= logging.WARNING and cache.path in r.getMessage()
        ]
        assert len(messages) == 2  # one for reading, one for writing, once each
        assert any("cannot be read" in m for m in messages)
        assert any("cannot be written" in m for m in messages)

    def test_a_cache_folder_that_cannot_be_made_only_computes(self, caplog):
        blocker = self.TEST_DIR / "file"
        blocker.write_text("")
        with caplog.at_level(logging.WARNING):
            embedder = self.embedder(activation_cache=str(blocker / "cache"))
        char_ids = batch_to_ids(SENTENCES)
        assert torch.equal(embedder(char_ids, "fr"), self.embedder()(char_ids, "fr"))
        assert any("cannot be opened" in r.getMessage() for r in caplog.records)

    def test_half_precision_cache(self):
        cached = self.embedder(activation_cache=self.cache, cache_half_precision=True)
        exact = self.embedder()
        char_ids = batch_to_ids(SENTENCES)
        first, second = cached(char_ids, "fr"), cached(char_ids, "fr")
        assert torch.equal(first, second)  # the first pass already uses what is stored
        assert (first - exact(char_ids, "fr")).abs().max() <= 1e-2
        assert os.path.exists(os.path.join(self.cache, "elmo_activations.lmdb"))

    def test_per_layer_alignment_with_a_learned_mix(self):
        stack = torch.stack([torch.eye(16) * (layer + 1) for layer in range(3)]).numpy()
        path = write_alignment(str(self.TEST_DIR / "per_layer.pth"), stack)
        aligned = self.embedder(aligning_files={"fr": path}, activation_cache=self.cache)
        plain = self.embedder(aligning_files={})
        mix = aligned._elmos["fr"].scalar_mix
        with torch.no_grad():
            mix.scalar_parameters[0].fill_(0.0)
            mix.scalar_parameters[1].fill_(-9e10)
            mix.scalar_parameters[2].fill_(-9e10)
            plain._elmos["fr"].scalar_mix.load_state_dict(mix.state_dict())
        char_ids = batch_to_ids(SENTENCES)
        # Only layer 0 is read, and its matrix is the identity times 1.
        assert torch.allclose(aligned(char_ids, "fr"), plain(char_ids, "fr"), atol=1e-6)
        with torch.no_grad():
            mix.scalar_parameters[0].fill_(-9e10)
            mix.scalar_parameters[2].fill_(0.0)
            plain._elmos["fr"].scalar_mix.load_state_dict(mix.state_dict())
        assert torch.allclose(aligned(char_ids, "fr"), 3 * plain(char_ids, "fr"), atol=1e-5)

    def test_per_layer_file_with_the_wrong_layer_count(self):
        stack = torch.stack([torch.eye(16)] * 2).numpy()
        path = write_alignment(str(self.TEST_DIR / "two_layers.pth"), stack)
        with pytest.raises(ConfigurationError, match=r"2 per-layer matrices.*3 layers") as info:
            self.embedder(aligning_files={"fr": path})
        assert "'fr'" in str(info.value) and path in str(info.value)

    def test_cache_needs_a_frozen_biLM(self):
        with pytest.raises(ConfigurationError, match="requires_grad"):
            self.embedder(activation_cache=self.cache, requires_grad=True)

    def test_from_params(self):
        embedder = TokenEmbedder.from_params(
            Params(
                {
                    "type": "elmo_token_embedder_multilang",
                    "deterministic": True,
                    "activation_cache": self.cache,
                    **self.files,
                }
            )
        )
        assert embedder._elmos["en"]._cache is not None

    def test_the_former_registered_name_still_loads(self):
        # Configs and archives written with the former name of deterministic mode.
        params = {"type": "elmo_token_embedder_multilang_deterministic", **self.files}
        embedder = TokenEmbedder.from_params(Params({**params, "dropout": 0.0})).eval()
        assert isinstance(embedder, DeterministicElmoTokenEmbedderMultiLang)
        ids = batch_to_ids(SENTENCES)
        torch.testing.assert_close(embedder(ids, "fr"), self.embedder().eval()(ids, "fr"))


def test_evaluation_scores_do_not_depend_on_batching(tmp_path):
    """The demo parser in deterministic mode scores a treebank alike in any batch size and order."""
    from allennlp.data import Vocabulary
    from allennlp.data.data_loaders import SimpleDataLoader
    from allennlp.data.dataset_readers import DatasetReader
    from allennlp.models import Model
    from allennlp.training.util import evaluate
    from helpers.demo_training import REPO_ROOT, demo_config

    files = write_multilang_elmo(str(tmp_path / "elmo"), ["en", "de", "fr", "es", "it"])
    elmo = {"deterministic": True}
    overrides = {"model": {"text_field_embedder": {"token_embedders": {"elmo": elmo}}}}
    config = Params(demo_config(files, "", "", overrides))
    reader = DatasetReader.from_params(config.pop("validation_dataset_reader"))
    treebank = os.path.join(REPO_ROOT, "data", "ud-pud", "es_pud-ud-dev.conllu")
    instances = list(reader.read(treebank))[:40]
    vocab = Vocabulary.from_instances(instances)
    torch.manual_seed(0)
    model = Model.from_params(vocab=vocab, params=config.pop("model")).eval()

    def scores(batch_size: int, order) -> dict:
        loader = SimpleDataLoader([instances[i] for i in order], batch_size, vocab=vocab)
        metrics = evaluate(model, loader, cuda_device=-1)
        return {k: v for k, v in metrics.items() if k.startswith(("UAS", "LAS", "UPOS"))}

    forward = list(range(len(instances)))
    expected = scores(1, forward)
    assert expected["UAS_es"] > 0 and expected["UPOS_es"] > 0
    assert scores(5, list(reversed(forward))) == expected
    assert scores(len(instances), forward[3:] + forward[:3]) == expected
