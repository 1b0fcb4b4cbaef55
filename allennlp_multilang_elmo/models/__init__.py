from allennlp_multilang_elmo.models.biaffine_dependency_parser_multilang import (
    BiaffineDependencyParserMultiLang,
)
from allennlp_multilang_elmo.models.elmo_language_model import ElmoLanguageModel
