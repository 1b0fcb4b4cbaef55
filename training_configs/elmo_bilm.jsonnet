// An ELMo biLM for any language, from plain text (one sentence or paragraph per line, tokenised by
// spaCy's rules for BILM_LANGUAGE; a glob such as 'corpus/*.txt' reads shards in sorted order):
//
//   OMP_NUM_THREADS=1 BILM_LANGUAGE=fr BILM_TRAIN=fr-train.txt BILM_VALIDATION=fr-valid.txt \
//     .venv/bin/allennlp train training_configs/elmo_bilm.jsonnet -s output/bilm-fr
//   .venv/bin/allennlp elmo-export output/bilm-fr/model.tar.gz my-elmo/fr
//
// A column of a tab-separated file: -o '{"dataset_reader.column": 1}' (0-based). The geometry and
// the recipe are in elmo_bilm.libsonnet, shared with the Bible biLMs (elmo_bible.jsonnet), so the
// result reads into the same parser as they do. Validation perplexity is exact (full softmax).
local bilm = import "elmo_bilm.libsonnet";

bilm(std.extVar("BILM_LANGUAGE"), std.extVar("BILM_TRAIN"), std.extVar("BILM_VALIDATION"))
