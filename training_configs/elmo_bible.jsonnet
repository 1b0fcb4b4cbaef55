// A small ELMo biLM (bilm-tf architecture and file layout) trained on one language of the
// verse-aligned Bible in data/bible-en-es/, on one CPU thread in about 12 minutes:
//
//   OMP_NUM_THREADS=1 BILM_LANGUAGE=en .venv/bin/allennlp train training_configs/elmo_bible.jsonnet -s output/bilm-en
//   .venv/bin/allennlp elmo-export output/bilm-en/model.tar.gz data/elmo-bible/en
//
// (scripts/train_elmo_bible.sh does both, for en and es). Held-out verses are the validation set:
// its perplexity is exact (full softmax). Everything is seeded, so a run is reproducible on the
// same machine; another CPU changes the low bits of the sums, which training amplifies.
local language = std.extVar("BILM_LANGUAGE");
local columns = { en: 1, es: 2 };
local num_streams = 64;

local reader = {
  type: "bilm_text",
  num_streams: num_streams,
  column: columns[language],
  language: language,
};

{
  dataset_reader: reader,
  train_data_path: "data/bible-en-es/parallel_en_es-train.tsv",
  validation_data_path: "data/bible-en-es/parallel_en_es-heldout.tsv",
  // Words seen fewer than 3 times are predicted as the unknown word (they are still read by
  // their characters).
  vocabulary: { min_count: { tokens: 3 } },
  // One batch row per stream, in order: each row continues its own text and LSTM state.
  data_loader: { batch_size: num_streams, shuffle: false },
  model: {
    type: "elmo_bilm_language_model",
    options: {
      lstm: {
        use_skip_connections: true,
        projection_dim: 64,
        dim: 256,
        n_layers: 2,
        cell_clip: 3,
        proj_clip: 3,
      },
      char_cnn: {
        activation: "relu",
        filters: [[1, 32], [2, 32], [3, 64], [4, 128], [5, 128]],
        n_highway: 1,
        embedding: { dim: 16 },
        n_characters: 262,
        max_characters_per_token: 50,
      },
    },
    num_samples: 1024,
    dropout: 0.1,
    seed: 1,
  },
  trainer: {
    num_epochs: 3,
    optimizer: { type: "adam", lr: 0.002 },
    grad_norm: 10.0,
    validation_metric: "-perplexity",
    // AllenNLP's default console logger also dumps the first batch's tensors into the log.
    callbacks: [{ type: "console_logger", should_log_inputs: false }],
    enable_default_callbacks: false,
    cuda_device: -1,
  },
  random_seed: 13370,
  numpy_seed: 1337,
  pytorch_seed: 133,
}
