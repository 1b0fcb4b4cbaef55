"""
B16: a parser's initializer overwrites the pre-trained biLM weights unless the config prevents it.

`InitializerApplicator` applies its regexes to every parameter of the model, the biLMs' included:
a usual parser regex such as `.*projection.*weight` also matches ELMo's own projections, and the
pre-trained weights are silently replaced by random ones. Configs had to add
`prevent_regexes: [".*_elmos\\..*"]`. The patch wraps `InitializerApplicator.__call__` so that the
parameters of the multilingual embedder's biLMs (`..._elmos.<lang>._bilm....`) are never matched,
with or without a config's own `prevent_regexes`. The scalar mixes, alignments and the embedder's
shared projection stay initialisable.
"""

import functools
from typing import Callable

import torch
from allennlp.nn.initializers import InitializerApplicator

from allennlp_multilang_elmo.compat._patching import replace_attribute, written_for

BILM_PARAMETERS = r"_elmos\.[^.]+\._bilm\."
"""Where the embedder's pre-trained biLM weights are in a model's parameter names."""


def _sparing_the_bilms(call: Callable[[InitializerApplicator, torch.nn.Module], None]) -> Callable:
    @functools.wraps(call)
    def wrapper(self: InitializerApplicator, module: torch.nn.Module) -> None:
        configured = self._prevent_regex
        self._prevent_regex = (
            BILM_PARAMETERS if configured is None else f"{configured}|({BILM_PARAMETERS})"
        )
        try:
            call(self, module)
        finally:
            self._prevent_regex = configured

    return wrapper


# AllenNLP's initializers, whatever the torch version.
VERSIONS = {"allennlp": "==2.10.1"}
"""The installed versions this patch was written for (see `written_for`)."""


def apply() -> None:
    """Makes every `InitializerApplicator` leave the biLMs' weights alone."""
    if not written_for("B16 (initializer_guard)", VERSIONS):
        return
    replace_attribute(InitializerApplicator, "__call__", _sparing_the_bilms)
