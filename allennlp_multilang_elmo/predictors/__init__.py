from allennlp_multilang_elmo.predictors.biaffine_dependency_parser_multilang import (
    BiaffineDependencyParserMultiLangPredictor,
)
