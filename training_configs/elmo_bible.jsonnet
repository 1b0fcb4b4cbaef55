// A small ELMo biLM (bilm-tf architecture and file layout) trained on one language of the
// verse-aligned Bible in data/bible-en-es/, on one CPU thread in about 12 minutes:
//
//   OMP_NUM_THREADS=1 BILM_LANGUAGE=en .venv/bin/allennlp train training_configs/elmo_bible.jsonnet -s output/bilm-en
//   .venv/bin/allennlp elmo-export output/bilm-en/model.tar.gz data/elmo-bible/en
//
// (scripts/train_elmo_bible.sh does both, for en and es). Held-out verses are the validation set:
// its perplexity is exact (full softmax). Everything is seeded, so a run is reproducible on the
// same machine; another CPU changes the low bits of the sums, which training amplifies. Geometry
// and recipe: elmo_bilm.libsonnet, as for any language's biLM (elmo_bilm.jsonnet).
local bilm = import "elmo_bilm.libsonnet";
local language = std.extVar("BILM_LANGUAGE");
local columns = { en: 1, es: 2 };

bilm(
  language,
  "data/bible-en-es/parallel_en_es-train.tsv",
  "data/bible-en-es/parallel_en_es-heldout.tsv",
  column=if std.objectHas(columns, language) then columns[language]
  else error "The Bible biLMs are en and es; for another language use elmo_bilm.jsonnet",
)
