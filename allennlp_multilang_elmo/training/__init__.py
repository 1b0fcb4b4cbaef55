from allennlp_multilang_elmo.training import callbacks, metrics
