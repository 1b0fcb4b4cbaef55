import os

import numpy
import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import AllenNlpTestCase
from allennlp.modules.elmo import Elmo, batch_to_ids
from allennlp.modules.text_field_embedders import BasicTextFieldEmbedder
from allennlp.modules.token_embedders import TokenEmbedder

from allennlp_multilang_elmo.common.language_codes import encode_language
from allennlp_multilang_elmo.modules.alignment_matrix import load_alignment_matrix, write_alignment
from allennlp_multilang_elmo.modules.tiny_elmo import (
    elmo_options,
    random_orthogonal,
    write_elmo_model,
    write_multilang_elmo,
)
from allennlp_multilang_elmo.modules.token_embedders import ElmoTokenEmbedderMultiLang

LANGUAGES = ["de", "en", "fr"]
SENTENCES = [
    ["The", "cat", "sat", "."],
    ["Die", "Katze", "schläft"],
    ["Le", "chat", "dort", "bien", "ici", "."],
    ["Un"],
]
BATCHES = [SENTENCES, SENTENCES[1:3], list(reversed(SENTENCES))]


def language_codes(languages, char_ids: torch.Tensor) -> torch.Tensor:
    """Per-token language codes, as `elmo_characters_multilang` emits them ("" for padding)."""
    rows = [encode_language(lang) if lang else [0] * 16 for lang in languages]
    codes = torch.tensor(rows, dtype=torch.uint8).unsqueeze(-2)
    return codes.expand(*char_ids.shape[:-1], 16)


class TestElmoTokenEmbedderMultiLang(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        self.files = write_multilang_elmo(str(self.TEST_DIR / "elmo"), LANGUAGES)
        self.dim = 16

    def embedder(self, **kwargs) -> ElmoTokenEmbedderMultiLang:
        params = {"dropout": 0.0, **self.files, **kwargs}
        return ElmoTokenEmbedderMultiLang(**params)

    def reference(self, language: str, **kwargs) -> Elmo:
        return Elmo(
            self.files["options_files"][language],
            self.files["weight_files"][language],
            1,
            dropout=0.0,
            **kwargs,
        )

    def aligned(self, language: str, representations: torch.Tensor) -> torch.Tensor:
        if language not in self.files["aligning_files"]:
            return representations
        matrix = load_alignment_matrix(self.files["aligning_files"][language], self.dim, language)
        return representations @ matrix.T

    @pytest.mark.parametrize(
        "setting", ["plain", "projection", "layer_norm", "fixed_mix", "cached"]
    )
    def test_matches_allennlp_elmo_per_language(self, setting):
        elmo_kwargs = {
            "plain": {},
            "projection": {},
            "layer_norm": {"do_layer_norm": True},
            "fixed_mix": {"scalar_mix_parameters": [-9e10, 1, -9e10]},
            "cached": {"vocab_to_cache": sorted({w for s in SENTENCES for w in s})},
        }[setting]
        projection_dim = 5 if setting == "projection" else None
        embedder = self.embedder(projection_dim=projection_dim, **elmo_kwargs)
        assert embedder.get_output_dim() == (projection_dim or self.dim)
        references = {lang: self.reference(lang, **elmo_kwargs) for lang in LANGUAGES}
        vocab = elmo_kwargs.get("vocab_to_cache")
        # Several batches in a row: the biLMs are stateful, so the histories must match too.
        for batch in BATCHES:
            char_ids = batch_to_ids(batch)
            word_ids = None
            if vocab:
                word_ids = torch.tensor(
                    [
                        [vocab.index(w) + 1 for w in s] + [0] * (char_ids.size(1) - len(s))
                        for s in batch
                    ]
                )
            for lang in LANGUAGES:
                actual = embedder(char_ids, lang, word_inputs=word_ids)
                expected = references[lang](char_ids, word_ids)["elmo_representations"][0]
                expected = self.aligned(lang, expected)
                if projection_dim:
                    expected = torch.nn.functional.linear(
                        expected, embedder._projection.weight, embedder._projection.bias
                    )
                assert actual.shape == (len(batch), char_ids.size(1), projection_dim or self.dim)
                assert (actual - expected).abs().max().item() <= 1e-5

    def test_mixed_language_batch_matches_per_language_sub_batches(self):
        embedder = self.embedder()
        references = {lang: self.reference(lang) for lang in LANGUAGES}
        languages = ["en", "de", "fr", "de"]
        for batch in [SENTENCES, list(reversed(SENTENCES))]:
            char_ids = batch_to_ids(batch)
            actual = embedder(char_ids, language_codes(languages, char_ids))
            # The embedder runs each language's rows as one sub-batch, languages in sorted order.
            for lang in sorted(set(languages)):
                rows = [i for i, other in enumerate(languages) if other == lang]
                expected = references[lang](char_ids[rows])["elmo_representations"][0]
                expected = self.aligned(lang, expected)
                assert (actual[rows] - expected).abs().max().item() <= 1e-5

    def test_language_lists_and_codes_give_the_same_result(self):
        char_ids = batch_to_ids(SENTENCES)
        languages = ["fr", "fr", "en", "de"]
        by_codes = self.embedder()(char_ids, language_codes(languages, char_ids))
        by_list = self.embedder()(char_ids, languages)
        assert torch.equal(by_codes, by_list)

    def test_alignment_changes_only_aligned_languages(self):
        char_ids = batch_to_ids(SENTENCES)
        aligned = self.embedder()
        unaligned = self.embedder(aligning_files={})
        # "de" is the first language written, so the factory leaves it unaligned (identity).
        assert torch.equal(aligned(char_ids, "de"), unaligned(char_ids, "de"))
        assert not torch.allclose(aligned(char_ids, "fr"), unaligned(char_ids, "fr"))
        # An orthogonal map keeps the norms.
        assert torch.allclose(
            aligned(char_ids, "en").norm(dim=-1), unaligned(char_ids, "en").norm(dim=-1), atol=1e-5
        )

    def test_padding_rows_without_language_embed_to_zeros(self):
        char_ids = batch_to_ids(SENTENCES[:2] + [[]])
        output = self.embedder()(char_ids, language_codes(["en", "fr", ""], char_ids))
        assert output.shape == (3, char_ids.size(1), self.dim)
        assert output[2].abs().sum() == 0
        assert output[0].abs().sum() > 0

    def test_requires_grad_fine_tunes_the_bilms(self):
        frozen = self.embedder()
        tuned = self.embedder(requires_grad=True)
        assert not any(p.requires_grad for p in frozen._elmos.parameters() if p.dim() > 1)
        tuned(batch_to_ids(SENTENCES), "fr").sum().backward()
        assert all(p.grad.abs().sum() > 0 for p in tuned._elmos["fr"].bilm.parameters())
        # Only the language that ran gets gradients; alignments are buffers, never trained.
        assert all(p.grad is None for p in tuned._elmos["en"].bilm.parameters())
        assert "_elmos.fr.alignment" in dict(tuned.named_buffers())
        assert "_elmos.fr.alignment" not in dict(tuned.named_parameters())

    def test_alignments_are_saved_in_the_state_dict(self):
        state = self.embedder().state_dict()
        assert set(k for k in state if k.endswith(".alignment")) == {
            "_elmos.en.alignment",
            "_elmos.fr.alignment",
        }

    def test_from_params_and_text_field_embedder_routing(self):
        embedder = TokenEmbedder.from_params(
            Params({"type": "elmo_token_embedder_multilang", "dropout": 0.0, **self.files})
        )
        text_field_embedder = BasicTextFieldEmbedder({"elmo": embedder})
        char_ids = batch_to_ids(SENTENCES)
        codes = language_codes(["fr"] * len(SENTENCES), char_ids)
        # The indexer's tensors carry the language ...
        by_indexer = text_field_embedder({"elmo": {"elmo_tokens": char_ids, "lang": codes}})
        # ... or the model passes it as a kwarg, the original API.
        embedder._elmos["fr"].bilm.reset_states()
        by_kwarg = text_field_embedder({"elmo": {"elmo_tokens": char_ids}}, lang="fr")
        assert by_indexer.shape == (len(SENTENCES), char_ids.size(1), self.dim)
        assert torch.equal(by_indexer, by_kwarg)

    def test_wrapped_dimensions(self):
        # A ListField of TextFields adds a dimension; languages then come per inner instance.
        char_ids = torch.stack([batch_to_ids(SENTENCES[:2]), batch_to_ids(SENTENCES[2:4])[:, :4]])
        codes = torch.stack([language_codes(["en", "fr"], char_ids[0])] * 2)
        output = self.embedder()(char_ids, codes)
        assert output.shape == (2, 2, 4, self.dim)

    def test_reads_every_alignment_file_format(self):
        matrix = random_orthogonal(self.dim, seed=5)
        for file_format in ["torch", "muse", "npy"]:
            path = write_alignment(str(self.TEST_DIR / f"align.{file_format}"), matrix, file_format)
            loaded = load_alignment_matrix(path, self.dim, "fr")
            assert loaded.dtype == torch.float32
            numpy.testing.assert_allclose(loaded.numpy(), matrix, atol=1e-6)


class TestElmoTokenEmbedderMultiLangErrors(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        self.files = write_multilang_elmo(str(self.TEST_DIR / "elmo"), ["en", "fr"])

    def test_options_and_weights_must_name_the_same_languages(self):
        weights = dict(self.files["weight_files"], de=self.files["weight_files"]["en"])
        with pytest.raises(ConfigurationError, match=r"only in weight_files: \['de'\]"):
            ElmoTokenEmbedderMultiLang(self.files["options_files"], weights)

    def test_alignment_without_elmo(self):
        aligning = dict(self.files["aligning_files"], es=self.files["aligning_files"]["fr"])
        with pytest.raises(
            ConfigurationError, match=r"aligning_files names languages without an ELMo: \['es'\]"
        ):
            ElmoTokenEmbedderMultiLang(
                self.files["options_files"], self.files["weight_files"], aligning_files=aligning
            )

    def test_unknown_language_at_forward(self):
        embedder = ElmoTokenEmbedderMultiLang(**self.files)
        with pytest.raises(
            ConfigurationError, match=r"No ELMo for language 'es'; configured languages: en, fr"
        ):
            embedder(batch_to_ids([["hola"]]), "es")
        char_ids = batch_to_ids([["a"], ["b"]])
        with pytest.raises(ConfigurationError, match=r"'sv'"):
            embedder(char_ids, language_codes(["en", "sv"], char_ids))
        with pytest.raises(ConfigurationError, match=r"one code per token"):
            embedder(char_ids, language_codes(["en", "en"], char_ids)[:, 0])

    def test_elmo_dimensions_must_agree(self):
        options, weights = write_elmo_model(
            str(self.TEST_DIR / "big"), seed=9, options=elmo_options(projection_dim=6)
        )
        with pytest.raises(ConfigurationError, match=r"same output dimension.*'de': 12.*'en': 16"):
            ElmoTokenEmbedderMultiLang(
                dict(self.files["options_files"], de=options),
                dict(self.files["weight_files"], de=weights),
            )

    def bad_alignment(self, matrix, match, file_format="torch"):
        path = write_alignment(str(self.TEST_DIR / "bad.pth"), matrix, file_format)
        with pytest.raises(ConfigurationError, match=match) as info:
            ElmoTokenEmbedderMultiLang(
                self.files["options_files"], self.files["weight_files"], aligning_files={"fr": path}
            )
        assert "'fr'" in str(info.value) and path in str(info.value)

    def test_alignment_must_be_square_of_the_elmo_dimension(self):
        self.bad_alignment(numpy.eye(16)[:8], r"shape \(8, 16\).*\(16, 16\)")
        self.bad_alignment(numpy.eye(32), r"shape \(32, 32\).*\(16, 16\)", "muse")

    def test_alignment_must_be_finite(self):
        matrix = numpy.eye(16)
        matrix[3, 4] = numpy.nan
        self.bad_alignment(matrix, r"NaN or infinite", "npy")

    def test_unreadable_alignment_file(self):
        path = self.TEST_DIR / "garbage.pth"
        path.write_bytes(b"not a matrix at all")
        with pytest.raises(
            ConfigurationError, match=r"Could not read the alignment file .*garbage.pth.* 'fr'"
        ):
            ElmoTokenEmbedderMultiLang(
                self.files["options_files"],
                self.files["weight_files"],
                aligning_files={"fr": str(path)},
            )

    def test_pickled_code_in_an_alignment_file_is_never_run(self):
        marker = self.TEST_DIR / "pwned"

        class Payload:
            def __reduce__(self):
                return (os.system, (f"touch {marker}",))

        path = str(self.TEST_DIR / "evil.pth")
        torch.save(Payload(), path, _use_new_zipfile_serialization=False)
        with pytest.raises(ConfigurationError, match="evil.pth"):
            load_alignment_matrix(path, 16, "fr")
        assert not marker.exists()


class TestSetAlignment(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        self.files = write_multilang_elmo(str(self.TEST_DIR / "elmo"), LANGUAGES)
        self.ids = batch_to_ids(SENTENCES)

    def embedder(self, **kwargs) -> ElmoTokenEmbedderMultiLang:
        embedder = ElmoTokenEmbedderMultiLang(
            **{"dropout": 0.0, "deterministic": True, **self.files, **kwargs}
        )
        return embedder.eval()

    def test_identity_equals_an_embedder_without_the_alignment(self):
        aligned = self.embedder()
        unaligned = self.embedder(aligning_files={})
        before = aligned(self.ids, "fr")
        aligned.set_alignment("fr", None)
        assert not torch.allclose(before, aligned(self.ids, "fr"))
        assert torch.equal(aligned(self.ids, "fr"), unaligned(self.ids, "fr"))
        # An archive of the unaligned model holds no alignment of that language.
        assert "_elmos.fr.alignment" not in aligned.state_dict()

    def test_a_new_matrix_after_the_mix_or_per_layer(self):
        embedder = self.embedder(aligning_files={})
        plain = embedder(self.ids, "de")
        rotation = torch.tensor(random_orthogonal(16, seed=3), dtype=torch.float32)
        embedder.set_alignment("de", rotation)
        torch.testing.assert_close(embedder(self.ids, "de"), plain @ rotation.T)
        # The same matrix for every layer before a linear mix is the same map.
        embedder.set_alignment("de", rotation.expand(3, 16, 16))
        torch.testing.assert_close(embedder(self.ids, "de"), plain @ rotation.T)
        assert embedder.state_dict()["_elmos.de.alignment"].shape == (3, 16, 16)

    def test_bad_language_or_shape(self):
        embedder = self.embedder()
        with pytest.raises(ConfigurationError, match="No ELMo for language 'sv'"):
            embedder.set_alignment("sv", None)
        with pytest.raises(ConfigurationError, match=r"shape \(8, 8\) does not fit .*'de'"):
            embedder.set_alignment("de", torch.eye(8))
