// The tiny demo of zero-shot cross-lingual dependency parsing (`make demo-tiny`, minutes on a
// laptop CPU; the test suite trains it too): a parser trained on English, German and French UD PUD
// (shipped in data/ud-pud) and evaluated on Spanish and Italian, which it never sees in training.
//
// The ELMo models are tiny and random (`allennlp write-tiny-elmo output/demo-tiny/elmo --languages
// en de fr es it`): they have the real bilm-tf file layout and exercise the whole pipeline, but
// carry no linguistic knowledge, so the parser learns mostly from the universal POS tags. With
// real biLMs: demo_en_es.jsonnet (`make demo`) and multilang_dependency_parser.jsonnet (the paper).
local train_languages = ["en", "de", "fr"];
local all_languages = train_languages + ["es", "it"];
local elmo_dir = "output/demo-tiny/elmo/";
local elmo_dim = 16;
local pos_dim = 16;

local reader(extra) = {
  type: "universal_dependencies_multilang",
  token_indexers: { elmo: { type: "elmo_characters_multilang" } },
} + extra;

{
  // Each epoch draws the same number of sentences of every training language.
  dataset_reader: reader({ languages: train_languages, instances_per_language: 300, seed: 13 }),
  // Validation reads every language once; es and it are scored but never used for model selection.
  validation_dataset_reader: reader({}),
  train_data_path: "data/ud-pud/*_pud-ud-train.conllu",
  validation_data_path: "data/ud-pud/*_pud-ud-dev.conllu",
  // Relations unseen in training (language-specific subtypes such as obl:agent) must map to
  // @@UNKNOWN@@ at zero-shot test time instead of failing: head_tags is a padded namespace here.
  vocabulary: { non_padded_namespaces: ["*labels"] },
  data_loader: {
    batch_sampler: { type: "same_language", batch_size: 32, sorting_keys: ["words"] },
    // Read lazily, so that every epoch draws a new balanced sample; a chunk holds several
    // batches of every language for length bucketing.
    max_instances_in_memory: 480,
  },
  model: {
    type: "biaffine_parser_multilang",
    langs_for_early_stop: train_languages,
    text_field_embedder: {
      token_embedders: {
        elmo: {
          // Deterministic: a sentence's vectors do not depend on its batch, so `allennlp evaluate`
          // and `allennlp parse` score a file exactly alike (README: Deterministic mode).
          type: "elmo_token_embedder_multilang",
          deterministic: true,
          options_files: { [lang]: elmo_dir + lang + "/options.json" for lang in all_languages },
          weight_files: { [lang]: elmo_dir + lang + "/weights.hdf5" for lang in all_languages },
          // The first language (en) is the shared space; the others are mapped onto it.
          aligning_files: { [lang]: elmo_dir + lang + "/align.pth" for lang in all_languages[1:] },
          // Layer 1 only (the first biLSTM), the layer the alignments are for.
          scalar_mix_parameters: [-9e10, 1, -9e10],
          dropout: 0.3,
        },
      },
    },
    pos_tag_embedding: { embedding_dim: pos_dim, vocab_namespace: "pos" },
    // A UPOS tagger trained with the parser: it tags raw text (input without POS), whose words
    // the parser then sees with predicted tags; UPOS_<lang> reports its accuracy.
    pos_tagger: true,
    pos_tagger_encoder: {
      type: "lstm",
      input_size: elmo_dim,
      hidden_size: 32,
      bidirectional: true,
    },
    encoder: {
      type: "stacked_bidirectional_lstm",
      input_size: elmo_dim + pos_dim,
      hidden_size: 64,
      num_layers: 2,
      recurrent_dropout_probability: 0.3,
      use_highway: true,
    },
    use_mst_decoding_for_validation: true,
    arc_representation_dim: 100,
    tag_representation_dim: 50,
    dropout: 0.3,
    input_dropout: 0.3,
    initializer: {
      // Only what matches: the stacked LSTM initialises itself, and a regex that matches nothing
      // is a warning.
      regexes: [
        [".*tag_bilinear.*weight", { type: "xavier_uniform" }],
        [".*tag_bilinear.*bias", { type: "zero" }],
      ],
    },
  },
  trainer: {
    num_epochs: 6,
    patience: 3,
    grad_norm: 5.0,
    validation_metric: "+LAS_AVG",
    // The console logger without its dump of the first batch's tensors. The balanced stream's
    // pass per epoch, exact resume, the ELMo files in the archive and the recoverable checkpointer
    // come with the embedder (README: Safe defaults).
    callbacks: [{ type: "console_logger", should_log_inputs: false }],
    optimizer: { type: "adam", lr: 2e-3, betas: [0.9, 0.9] },
    cuda_device: -1,
  },
}
