// The demo (`make demo`, scripts/demo.sh): a parser trained on English only (UD English EWT dev+test,
// data/ud-en-ewt) with the small English ELMo trained on the Bible (data/elmo-bible/en), then
// evaluated zero-shot on Spanish UD PUD with the Spanish Bible ELMo, aligned onto the English one
// (data/elmo-bible/es/align.pth) or not (scripts/demo_en_es_evaluate.py swaps in the identity).
// With UPOS input the parser also trains a UPOS tagger on the ELMo vectors, whose tags stand in
// for missing ones, so that `allennlp parse` takes raw text.
//
//   DEMO_POS=true  .venv/bin/allennlp train training_configs/demo_en_es.jsonnet -s RUN   (words + UPOS)
//   DEMO_POS=false .venv/bin/allennlp train training_configs/demo_en_es.jsonnet -s RUN   (ELMo alone)
//
// Spanish never appears in training; its biLM and alignment are in the config so that the archive
// holds them. The biLMs are frozen and deterministic (every sentence starts from the same warm
// state), so their activations are computed once into output/demo/activation-cache and reused by
// every later epoch, run and evaluation. The encoder is torch's LSTM, as in the original system's
// configuration (AllenNLP's stacked_bidirectional_lstm, a Python loop over time steps, took half
// of each epoch).
local use_pos = std.extVar("DEMO_POS") == "true";
local elmo_dir = "data/elmo-bible/";
local elmo_dim = 128;
local pos_dim = 32;

local reader = {
  type: "universal_dependencies_multilang",
  token_indexers: { elmo: { type: "elmo_characters_multilang" } },
};

{
  dataset_reader: reader,
  train_data_path: "data/ud-en-ewt/en_ewt-ud-*.conllu",
  // English PUD dev picks the epoch; English PUD train+test and all of Spanish PUD are scored after.
  validation_data_path: "data/ud-pud/en_pud-ud-dev.conllu",
  vocabulary: { non_padded_namespaces: ["*labels"] },
  data_loader: { batch_sampler: { type: "bucket", batch_size: 32, sorting_keys: ["words"] } },
  model: {
    type: "biaffine_parser_multilang",
    langs_for_early_stop: ["en"],
    text_field_embedder: {
      token_embedders: {
        elmo: {
          type: "elmo_token_embedder_multilang",
          deterministic: true,
          options_files: { [lang]: elmo_dir + lang + "/options.json" for lang in ["en", "es"] },
          weight_files: { [lang]: elmo_dir + lang + "/weights.hdf5" for lang in ["en", "es"] },
          // English is the shared space: Spanish is aligned onto it, one matrix per layer.
          aligning_files: { es: elmo_dir + "es/align.pth" },
          // The mean of the three layers, fixed: a learned mix would be learned for English only
          // (each language has its own), leaving Spanish with an untrained one.
          scalar_mix_parameters: [0, 0, 0],
          dropout: 0.3,
          activation_cache: "output/demo/activation-cache",
        },
      },
    },
    [if use_pos then "pos_tag_embedding"]: { embedding_dim: pos_dim, vocab_namespace: "pos" },
    [if use_pos then "pos_tagger"]: true,
    [if use_pos then "pos_tagger_encoder"]: {
      type: "lstm",
      input_size: elmo_dim,
      hidden_size: 64,
      bidirectional: true,
    },
    encoder: {
      type: "lstm",
      input_size: elmo_dim + (if use_pos then pos_dim else 0),
      hidden_size: 100,
      num_layers: 2,
      bidirectional: true,
      dropout: 0.3,
    },
    use_mst_decoding_for_validation: true,
    arc_representation_dim: 100,
    tag_representation_dim: 50,
    dropout: 0.3,
    input_dropout: 0.3,
    initializer: {
      regexes: [
        [".*tag_bilinear.*weight", { type: "xavier_uniform" }],
        [".*tag_bilinear.*bias", { type: "zero" }],
      ],
    },
  },
  trainer: {
    num_epochs: 8,
    patience: 3,
    grad_norm: 5.0,
    validation_metric: "+LAS_AVG",
    // The console logger without its dump of the first batch's tensors. Exact resume, the ELMo
    // files in the archive and the recoverable checkpointer come with the embedder (README:
    // Safe defaults).
    callbacks: [{ type: "console_logger", should_log_inputs: false }],
    optimizer: { type: "adam", lr: 2e-3, betas: [0.9, 0.9] },
    cuda_device: -1,
  },
  random_seed: 13370,
  numpy_seed: 1337,
  pytorch_seed: 133,
}
