"""B16: initializers never overwrite the embedder's pre-trained biLM weights."""

from typing import Dict

import torch
from allennlp.common.testing import AllenNlpTestCase
from allennlp.nn.initializers import InitializerApplicator, XavierUniformInitializer

from allennlp_multilang_elmo.compat._patching import unpatched
from allennlp_multilang_elmo.modules.tiny_elmo import write_multilang_elmo
from allennlp_multilang_elmo.modules.token_embedders import ElmoTokenEmbedderMultiLang

# A usual parser regex; ELMo's character-CNN and LSTM projections match it too.
PROJECTIONS = [(".*projection.*weight", XavierUniformInitializer())]


class TestInitializerGuardPatch(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        files = write_multilang_elmo(str(self.TEST_DIR / "elmo"), ["en", "de"])
        self.model = torch.nn.ModuleDict(
            {"elmo": ElmoTokenEmbedderMultiLang(projection_dim=4, **files)}
        )

    def changed(self, initializer: InitializerApplicator) -> Dict[str, bool]:
        before = {n: p.detach().clone() for n, p in self.model.named_parameters()}
        initializer(self.model)
        return {n: not torch.equal(p, before[n]) for n, p in self.model.named_parameters()}

    def test_stock_initializer_overwrites_the_bilm_projections(self):
        with unpatched(InitializerApplicator, "__call__"):
            changed = self.changed(InitializerApplicator(PROJECTIONS))
        assert changed["elmo._elmos.en._bilm._token_encoder.projection_weight"]

    def test_bilm_weights_are_spared_and_the_rest_initialised(self):
        changed = self.changed(InitializerApplicator(PROJECTIONS))
        assert not any(value for name, value in changed.items() if "._bilm." in name)
        # The embedder's own shared projection is the parser's to initialise.
        assert changed["elmo._projection.weight"]

    def test_a_configs_own_prevent_regexes_still_apply(self):
        initializer = InitializerApplicator(PROJECTIONS, prevent_regexes=[r"_projection\."])
        changed = self.changed(initializer)
        assert not any(changed.values())
        assert initializer._prevent_regex == r"(_projection\.)"
