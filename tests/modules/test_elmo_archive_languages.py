import pytest
from allennlp.common.checks import ConfigurationError

from allennlp_multilang_elmo.modules.elmo_archive_languages import _default_mix_source

LANGUAGES = ["de", "en", "es"]


def test_a_fixed_mix_is_every_languages():
    assert _default_mix_source({}, LANGUAGES, fixed=True) == "de"


def test_a_learned_mix_comes_from_the_one_training_language():
    config = {"model": {"langs_for_early_stop": ["en"]}}
    assert _default_mix_source(config, LANGUAGES, fixed=False) == "en"
    config = {"dataset_reader": {"languages": ["es"]}}
    assert _default_mix_source(config, LANGUAGES, fixed=False) == "es"


def test_several_training_languages_need_mix_from():
    config = {"model": {"langs_for_early_stop": ["de", "en"]}}
    with pytest.raises(ConfigurationError, match=r"--mix-from LANG.*trained on de, en"):
        _default_mix_source(config, LANGUAGES, fixed=False)
