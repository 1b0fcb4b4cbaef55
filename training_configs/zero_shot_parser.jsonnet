// A cross-lingual dependency parser on any languages' biLMs of one geometry, for zero-shot parsing
// of languages added later with `allennlp elmo-add-language` (scripts/replicate.py trains it for the
// replication table). The parser and its training are the demo's (demo_en_es.jsonnet).
//
// Environment variables (AllenNLP passes them to jsonnet as external variables):
//   PARSER_TRAIN, PARSER_VALIDATION  treebank globs; a file's language comes from its name
//   PARSER_LANGUAGES  the training languages, comma-separated (the archive holds their biLMs)
//   ELMO_DIR          a folder with <lang>/options.json, <lang>/weights.hdf5 and <lang>/align.pth
//   PARSER_ALIGNED    the languages that read through their align.pth, comma-separated (not the
//                     shared space's own language, e.g. English); "" for none ("not aligned")
//   PARSER_INPUT      "elmo+upos" (ELMo and gold UPOS; a UPOS tagger on ELMo stands in for
//                     missing tags), "elmo" (ELMo alone), or "upos": the same parser with its ELMo
//                     input zeroed (every language aligned by ZERO_ALIGNMENT, an all-zero matrix):
//                     the delexicalised baseline
//   ZERO_ALIGNMENT    with "upos", the all-zero (dim, dim) alignment file; else ignored
//   ACTIVATION_CACHE  a folder for the biLMs' cached activations (frozen, deterministic biLMs)
//
//   PARSER_TRAIN='data/ud-en-ewt/*.conllu' PARSER_VALIDATION=data/ud-pud/en_pud-ud-dev.conllu \
//   PARSER_LANGUAGES=en ELMO_DIR=data/elmo-libreoffice PARSER_ALIGNED= PARSER_INPUT=elmo+upos \
//   ZERO_ALIGNMENT= ACTIVATION_CACHE=output/cache \
//     .venv/bin/allennlp train training_configs/zero_shot_parser.jsonnet -s output/parser-en
local split(text) = [item for item in std.split(text, ",") if item != ""];
local languages = split(std.extVar("PARSER_LANGUAGES"));
local aligned = split(std.extVar("PARSER_ALIGNED"));
local input = std.extVar("PARSER_INPUT");
local elmo_dir = std.extVar("ELMO_DIR") + "/";
local use_elmo = input != "upos";
local use_pos = input != "elmo";
local elmo_dim = 128;
local pos_dim = 32;
local loader = { batch_sampler: { type: "bucket", batch_size: 32, sorting_keys: ["words"] } };

assert std.member(["elmo+upos", "elmo", "upos"], input) :
  "PARSER_INPUT must be elmo+upos, elmo or upos, not " + input;

local reader = {
  type: "universal_dependencies_multilang",
  token_indexers: { elmo: { type: "elmo_characters_multilang" } },
};

{
  dataset_reader: reader,
  train_data_path: std.extVar("PARSER_TRAIN"),
  validation_data_path: std.extVar("PARSER_VALIDATION"),
  vocabulary: { non_padded_namespaces: ["*labels"] },
  data_loader: loader,
  // Its own, so that a training override (data_loader.batches_per_epoch) never reaches it:
  // every validation reads the validation trees once.
  validation_data_loader: loader,
  model: {
    type: "biaffine_parser_multilang",
    langs_for_early_stop: languages,
    text_field_embedder: {
      token_embedders: {
        elmo: {
          type: "elmo_token_embedder_multilang",
          deterministic: true,
          options_files: { [lang]: elmo_dir + lang + "/options.json" for lang in languages },
          weight_files: { [lang]: elmo_dir + lang + "/weights.hdf5" for lang in languages },
          aligning_files:
            if use_elmo then { [lang]: elmo_dir + lang + "/align.pth" for lang in aligned }
            else { [lang]: std.extVar("ZERO_ALIGNMENT") for lang in languages },
          // The mean of the layers, fixed: a learned mix would be learned for the training
          // languages only, leaving a zero-shot language an untrained one.
          scalar_mix_parameters: [0, 0, 0],
          dropout: 0.3,
          activation_cache: std.extVar("ACTIVATION_CACHE"),
        },
      },
    },
    [if use_pos then "pos_tag_embedding"]: { embedding_dim: pos_dim, vocab_namespace: "pos" },
    [if use_pos && use_elmo then "pos_tagger"]: true,
    [if use_pos && use_elmo then "pos_tagger_encoder"]: {
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
    callbacks: [{ type: "console_logger", should_log_inputs: false }],
    optimizer: { type: "adam", lr: 2e-3, betas: [0.9, 0.9] },
    cuda_device: -1,
  },
  random_seed: 13370,
  numpy_seed: 1337,
  pytorch_seed: 133,
}
