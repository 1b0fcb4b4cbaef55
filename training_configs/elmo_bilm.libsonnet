// The biLM geometry and training recipe of this project's small ELMo models (bilm-tf architecture
// and file layout), as a function of the corpus: elmo_bilm.jsonnet (any language and text) and
// elmo_bible.jsonnet (the shipped Bible biLMs) call it. Every biLM trained from it has the same
// geometry, so one parser reads them all (a parser reads 2 x projection_dim = 128 dimensions in 3
// layers).
//
// The corpus is streamed (bilm_text): memory is bounded by max_instances_in_memory, not by the
// corpus, so a corpus can be any size (one file, or a glob of shards).
function(language, train, validation, column=null) {
  local num_streams = 64,

  dataset_reader: {
    type: "bilm_text",
    num_streams: num_streams,
    column: column,
    language: language,
  },
  train_data_path: train,
  validation_data_path: validation,
  // Words seen fewer than 3 times are predicted as the unknown word (they are still read by
  // their characters).
  vocabulary: { min_count: { tokens: 3 } },
  // One batch row per stream, in order: each row continues its own text and LSTM state. The
  // loader holds 16 batches of instances at a time (without a bound it would hold the corpus).
  data_loader: { batch_size: num_streams, shuffle: false, max_instances_in_memory: 16 * num_streams },
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
