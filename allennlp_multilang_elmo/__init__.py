"""
Cross-lingual ELMo (Schuster et al., NAACL 2019) for AllenNLP 2.10: importing this package applies
the compatibility patches AllenNLP needs on Python 3.11 / torch 2.x and registers every component.
"""

# Patches first: the components below import AllenNLP modules that the patches fix.
from allennlp_multilang_elmo.compat import apply_patches

apply_patches()

from allennlp_multilang_elmo import (  # noqa: E402
    commands,
    data,
    models,
    modules,
    predictors,
    training,
)
from allennlp_multilang_elmo.version import VERSION  # noqa: E402
