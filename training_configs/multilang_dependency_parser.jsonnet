// The zero-shot setting of Schuster et al. (NAACL 2019), "Cross-Lingual Alignment of Contextual Word
// Embeddings, with Applications to Zero-Shot Dependency Parsing", in AllenNLP 2.x syntax: a parser
// trained on en, de, fr, it, pt and sv and evaluated on es, with the authors' released ELMo models
// and layer-1 alignment matrices onto the English space.
//
// Paths come from environment variables (AllenNLP passes them to jsonnet as external variables):
//   TRAIN_PATHNAME, DEV_PATHNAME, TEST_PATHNAME  globs of treebank files, e.g. the Universal
//       Dependency Treebank v2.0 as in the paper: universal_treebanks_v2.0/std/**/*train.conll
//       (languages are read from file names: en-universal-train.conll -> en, pt-br-... -> pt)
//   ELMO_DIR   a folder with the released options262.json and <lang>_weights.hdf5 files
//   ALIGN_DIR  a folder with the released <lang>_best_mapping.pth files (layer 1, supervised)
// The authors published these files (see their repository TalSchuster/CrossLingualContextualEmb);
// they can also be URLs, which AllenNLP's cached_path downloads.
local source_languages = ["en", "de", "fr", "it", "pt", "sv"];
local target_languages = ["es"];
local all_languages = source_languages + target_languages;
local elmo_dir = std.extVar("ELMO_DIR");
local align_dir = std.extVar("ALIGN_DIR");

local reader(extra) = {
  type: "universal_dependencies_multilang",
  token_indexers: { elmo: { type: "elmo_characters_multilang" } },
} + extra;

{
  // 32,000 training sentences an epoch, the same number from every source language (the original
  // drew them from uniformly chosen languages).
  dataset_reader: reader({ languages: source_languages, instances_per_language: 5333 }),
  // Also what `allennlp evaluate` reads with, e.g. one language's test file.
  validation_dataset_reader: reader({ languages: all_languages, allow_missing_languages: true }),
  train_data_path: std.extVar("TRAIN_PATHNAME"),
  validation_data_path: std.extVar("DEV_PATHNAME"),
  test_data_path: std.extVar("TEST_PATHNAME"),
  evaluate_on_test: true,
  vocabulary: { non_padded_namespaces: ["*labels"] },
  data_loader: {
    batch_sampler: { type: "same_language", batch_size: 32, sorting_keys: ["words"] },
    // Read lazily, so that every epoch draws a new balanced sample; a chunk holds several
    // batches of every language for length bucketing.
    max_instances_in_memory: 1920,
  },
  model: {
    type: "biaffine_parser_multilang",
    // Model selection never looks at the zero-shot target.
    langs_for_early_stop: source_languages,
    arc_representation_dim: 500,
    tag_representation_dim: 100,
    dropout: 0.33,
    input_dropout: 0.33,
    text_field_embedder: {
      token_embedders: {
        elmo: {
          type: "elmo_token_embedder_multilang",
          options_files: { [lang]: elmo_dir + "/options262.json" for lang in all_languages },
          weight_files: { [lang]: elmo_dir + "/" + lang + "_weights.hdf5" for lang in all_languages },
          aligning_files: { [lang]: align_dir + "/" + lang + "_best_mapping.pth" for lang in all_languages },
          // Layer 1 (the first biLSTM layer) only: the released alignments are for that layer.
          scalar_mix_parameters: [-9e10, 1, -9e10],
          do_layer_norm: false,
          dropout: 0.3,
        },
      },
    },
    pos_tag_embedding: { embedding_dim: 50, vocab_namespace: "pos" },
    encoder: {
      type: "lstm",
      bidirectional: true,
      input_size: 1024 + 50,
      hidden_size: 200,
      num_layers: 3,
      dropout: 0.33,
    },
    use_mst_decoding_for_validation: true,
    initializer: {
      regexes: [
        [".*projection.*weight", { type: "xavier_uniform" }],
        [".*projection.*bias", { type: "zero" }],
        [".*tag_bilinear.*weight", { type: "xavier_uniform" }],
        [".*tag_bilinear.*bias", { type: "zero" }],
        [".*weight_ih.*", { type: "xavier_uniform" }],
        [".*weight_hh.*", { type: "orthogonal" }],
        [".*bias_ih.*", { type: "zero" }],
        [".*bias_hh.*", { type: "lstm_hidden_bias" }],
      ],
      // ".*projection.*weight" would match ELMo's own projections too: the embedder's biLM
      // weights are never initialised (README: Safe defaults).
    },
  },
  trainer: {
    num_epochs: 40,
    patience: 10,
    grad_norm: 5.0,
    validation_metric: "+LAS_AVG",
    // The console logger without the dump of the first batch's tensors that AllenNLP's default one
    // writes into the log. The balanced stream's pass per epoch, exact resume, the ELMo files in
    // the archive and the recoverable checkpointer come with the embedder (README: Safe defaults).
    callbacks: [{ type: "console_logger", should_log_inputs: false }],
    optimizer: { type: "adam" },
    cuda_device: 0,
  },
}
