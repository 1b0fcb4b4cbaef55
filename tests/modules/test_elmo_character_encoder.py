"""
The character encoder reads only the character positions its convolutions need: the same
encodings as AllenNLP's `_ElmoCharacterEncoder` (which reads all 50) and the same gradients.
"""

import torch
from allennlp.common.testing import AllenNlpTestCase
from allennlp.modules.elmo import _ElmoCharacterEncoder, batch_to_ids

from allennlp_multilang_elmo.modules.elmo_character_encoder import ElmoCharacterEncoder
from allennlp_multilang_elmo.modules.elmo_weights import read_elmo_options, read_elmo_weights
from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options, write_elmo_model

# Widths up to 4: a token of n characters fills n + 2 positions (begin and end of word).
FILTERS = ((1, 4), (2, 8), (4, 8))
SENTENCES = [["a", "bc", "déf"], ["Katze"], ["x" * 48, "y"]]


class TestElmoCharacterEncoder(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        self.files = write_elmo_model(
            str(self.TEST_DIR / "elmo"), seed=2, options=elmo_options(filters=FILTERS)
        )
        options = read_elmo_options(self.files[0])
        self.encoder = ElmoCharacterEncoder(
            options, read_elmo_weights(self.files[1], options), requires_grad=True
        )

    def test_positions_read_are_the_longest_token_and_the_widest_filter(self):
        short = batch_to_ids(SENTENCES[:2]).view(-1, 50)  # longest: Katze, 7 positions
        assert self.encoder._needed_positions(short) == 7 + 4
        # Padding tokens (all zeros) change nothing; a 48-character token needs all 50.
        assert self.encoder._needed_positions(torch.zeros(3, 50, dtype=torch.long)) == 4
        assert self.encoder._needed_positions(batch_to_ids(SENTENCES).view(-1, 50)) == 50

    def test_encodings_and_gradients_match_allennlp(self):
        reference = _ElmoCharacterEncoder(*self.files, requires_grad=True)
        for sentences in (SENTENCES[:2], SENTENCES, [["ab"], []]):
            char_ids = batch_to_ids(sentences)
            expected = reference(char_ids)["token_embedding"][:, 1:-1]
            actual = self.encoder(char_ids)
            mask = (char_ids > 0).any(-1)
            assert (expected - actual)[mask].abs().max().item() <= 1e-6
            weights = torch.randn(actual.shape) * mask.unsqueeze(-1)
            reference.zero_grad()
            self.encoder.zero_grad()
            (expected * weights).sum().backward()
            (actual * weights).sum().backward()
            expected_grad = reference._char_embedding_weights.grad
            actual_grad = self.encoder.char_embedding.grad
            scale = expected_grad.abs().max().item()
            assert scale > 0
            assert (expected_grad - actual_grad).abs().max().item() <= 1e-5 * scale
