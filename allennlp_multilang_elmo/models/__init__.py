from allennlp_multilang_elmo.models.biaffine_dependency_parser_multilang import (
    BiaffineDependencyParserMultiLang,
)
