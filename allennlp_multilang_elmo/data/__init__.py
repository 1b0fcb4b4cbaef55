from allennlp_multilang_elmo.data import dataset_readers, samplers, token_indexers, tokenizers
