from allennlp_multilang_elmo.data.dataset_readers.universal_dependencies_multilang import (
    UniversalDependenciesMultiLangDatasetReader,
)
