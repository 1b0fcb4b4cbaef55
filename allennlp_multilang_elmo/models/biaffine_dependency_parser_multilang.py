import inspect
from typing import Any, Dict, List, Optional, Tuple, cast

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.models.model import Model
from allennlp.modules import FeedForward, Seq2SeqEncoder, TextFieldEmbedder
from allennlp.modules.token_embedders import Embedding
from allennlp.nn import Activation, InitializerApplicator
from allennlp.nn.util import get_text_field_mask, sequence_cross_entropy_with_logits
from allennlp_models.structured_prediction.models.biaffine_dependency_parser import (
    BiaffineDependencyParser,
)

from allennlp_multilang_elmo.training.metrics import PerLanguageAttachmentScores
from allennlp_multilang_elmo.training.metrics.per_language_accuracy import PerLanguageAccuracy

POS_NAMESPACE = "pos"


@Model.register("biaffine_parser_multilang")
class BiaffineDependencyParserMultiLang(BiaffineDependencyParser):
    """
    allennlp-models' `biaffine_parser` for cross-lingual parsing: every parser parameter is shared
    by all languages, the language goes to the text field embedder (to pick the language's ELMo and
    alignment), attachment scores are kept per language, and an optional UPOS tagger, trained with
    the parser, tags raw text.

    The language of each instance comes from `metadata["lang"]` (as
    `universal_dependencies_multilang` writes it). If the words were indexed by
    `elmo_characters_multilang`, the language already travels inside the text field tensors;
    otherwise the model passes the list of languages to every token embedder whose `forward`
    takes a `lang` (the text field embedder's keyword arguments). Either way batches may mix
    languages.

    # The POS tagger

    With `pos_tagger = True` a tagger head predicts each word's tag in the `pos` namespace (UPOS
    with the shipped readers) from the word representations of `text_field_embedder` (the aligned
    ELMo vectors, shared by all languages), optionally through `pos_tagger_encoder`, then
    `pos_tagger_feedforward` and a linear layer. Its cross-entropy on the words with a known tag is
    added to the parser's loss, weighted by `pos_tagger_loss_weight`, and its accuracy per
    language is reported as `UPOS_<lang>` (and `UPOS_AVG` over `langs_for_early_stop`).

    A word's input tag is *missing* when it is not in the model's `pos` vocabulary: `"_"` (what the
    predictor and `allennlp parse` give words without a tag, and CoNLL-U's empty UPOS) or a tag the
    model never saw. With a tagger, missing tags are replaced by the tagger's predictions before
    the parser sees them: in the POS embedding (when there is one) and in the punctuation rule of
    the attachment scores. Known input tags are used as they are, so `allennlp evaluate` on gold
    tags measures the parser with gold tags, and a raw sentence is parsed with predicted tags.

    # Scores

    `UAS`/`LAS` (all languages together, as the parent's) and `UAS_<lang>`/`LAS_<lang>` are
    AllenNLP's scores, computed on the same words: every word but punctuation, where a word is
    punctuation if its tag (the input's; the tagger's where the input has none) is one of the
    parent's `POS_TO_IGNORE` (`PUNCT` and `SYM` in UPOS, and PTB's punctuation tags). Without a
    tagger, untagged words (`_`) always count. `conll18_UAS_<lang>`/`conll18_LAS_<lang>` (and
    their `_AVG`) are the CoNLL 2018 shared task's scores with gold tokenisation: every word,
    punctuation included, and a relation is right when its universal part (before `:`) is.

    Why the tagger reads the word representations and feeds the parser's POS embedding, rather than
    sharing the parser's encoder: a POS embedding gives the parser the tag as a discrete, language-
    independent signal, which is what carries over to languages it never saw (and all the demo's
    random ELMo models can teach it). A tagger on the parser's encoder could not feed that
    embedding (the encoder needs it as input). The parser trains on gold tags and parses raw text
    with predicted ones; its scores with predicted tags are bounded by the tagger's accuracy,
    which `UPOS_<lang>` shows. A model without `pos_tag_embedding` uses the tagger for output only.

    Registered as a `Model` with name "biaffine_parser_multilang".

    # Parameters

    The parameters of `biaffine_parser`, plus:

    langs_for_early_stop : `List[str]`, optional (default = `None`)
        The languages over which `UAS_AVG`, `LAS_AVG` (and `UPOS_AVG`) are averaged (use
        `"validation_metric": "+LAS_AVG"`); usually the training languages, so that model selection
        never sees a zero-shot target. `None` averages over every language seen.
    pos_tagger : `bool`, optional (default = `False`)
        Whether to train a POS tagger head with the parser (see above).
    pos_tagger_encoder : `Seq2SeqEncoder`, optional (default = `None`)
        Contextualises the word representations for the tagger; `None` tags from them directly.
    pos_tagger_feedforward : `FeedForward`, optional (default = `None`)
        The tagger's hidden layers, before its linear output layer; by default one ELU layer of
        `tag_representation_dim`.
    pos_tagger_loss_weight : `float`, optional (default = `1.0`)
        The weight of the tagger's loss in the model's loss.
    pos_input : `str`, optional (default = `"gold"`)
        `"gold"`: the parser reads the input's tags where it has them (the tagger's where it has
        none). `"predicted"`: it reads the tagger's tags for every word, as it would for raw
        text, while the input's tags still score the tagger and mark punctuation; needs
        `pos_tagger`. Evaluate an archive both ways with `allennlp evaluate ... -o
        '{"model.pos_input": "predicted"}'`.
    """

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        encoder: Seq2SeqEncoder,
        tag_representation_dim: int,
        arc_representation_dim: int,
        tag_feedforward: Optional[FeedForward] = None,
        arc_feedforward: Optional[FeedForward] = None,
        pos_tag_embedding: Optional[Embedding] = None,
        use_mst_decoding_for_validation: bool = True,
        langs_for_early_stop: Optional[List[str]] = None,
        pos_tagger: bool = False,
        pos_tagger_encoder: Optional[Seq2SeqEncoder] = None,
        pos_tagger_feedforward: Optional[FeedForward] = None,
        pos_tagger_loss_weight: float = 1.0,
        pos_input: str = "gold",
        dropout: float = 0.0,
        input_dropout: float = 0.0,
        initializer: InitializerApplicator = InitializerApplicator(),
        **kwargs,
    ) -> None:
        # The initializer runs below, once the tagger exists too.
        super().__init__(
            vocab,
            text_field_embedder,
            encoder,
            tag_representation_dim,
            arc_representation_dim,
            tag_feedforward=tag_feedforward,
            arc_feedforward=arc_feedforward,
            pos_tag_embedding=pos_tag_embedding,
            use_mst_decoding_for_validation=use_mst_decoding_for_validation,
            dropout=dropout,
            input_dropout=input_dropout,
            **kwargs,
        )
        self._per_language_attachment_scores = PerLanguageAttachmentScores(langs_for_early_stop)
        self._conll18_scores = PerLanguageAttachmentScores(langs_for_early_stop, prefix="conll18_")
        self.register_buffer(
            "_universal_relation", _universal_relations(vocab, "head_tags"), persistent=False
        )
        if pos_input not in ("gold", "predicted"):
            raise ConfigurationError(f"pos_input must be 'gold' or 'predicted', not {pos_input!r}")
        if pos_input == "predicted" and not pos_tagger:
            raise ConfigurationError(
                "pos_input 'predicted' needs the POS tagger (pos_tagger: true)"
            )
        self._pos_input = pos_input
        self._language_keys = _keys_taking_a_language(text_field_embedder)

        pos_vocabulary = vocab.get_token_to_index_vocabulary(POS_NAMESPACE)
        self._missing_pos_index: Optional[int] = pos_vocabulary.get(vocab._oov_token)
        if (pos_tagger_encoder or pos_tagger_feedforward) and not pos_tagger:
            raise ConfigurationError(
                "pos_tagger_encoder and pos_tagger_feedforward configure the POS tagger: "
                "set pos_tagger: true or remove them"
            )
        self._pos_tagger_encoder = pos_tagger_encoder if pos_tagger else None
        self._pos_tagger_feedforward: Optional[FeedForward] = None
        self._pos_tagger_output: Optional[torch.nn.Linear] = None
        self._pos_accuracy = PerLanguageAccuracy("UPOS", langs_for_early_stop)
        self._pos_tagger_loss_weight = pos_tagger_loss_weight
        if pos_tagger:
            tagger_input_dim = text_field_embedder.get_output_dim()
            if pos_tagger_encoder is not None:
                if pos_tagger_encoder.get_input_dim() != tagger_input_dim:
                    raise ConfigurationError(
                        f"pos_tagger_encoder takes {pos_tagger_encoder.get_input_dim()} inputs, "
                        f"but the text field embedder gives {tagger_input_dim}"
                    )
                tagger_input_dim = pos_tagger_encoder.get_output_dim()
            self._pos_tagger_feedforward = pos_tagger_feedforward or FeedForward(
                tagger_input_dim, 1, tag_representation_dim, Activation.by_name("elu")()
            )
            if self._pos_tagger_feedforward.get_input_dim() != tagger_input_dim:
                raise ConfigurationError(
                    f"pos_tagger_feedforward takes {self._pos_tagger_feedforward.get_input_dim()} "
                    f"inputs, but gets {tagger_input_dim}"
                )
            self._pos_tagger_output = torch.nn.Linear(
                self._pos_tagger_feedforward.get_output_dim(), vocab.get_vocab_size(POS_NAMESPACE)
            )
            # Padding and the out-of-vocabulary entry are never predicted.
            never_predicted = torch.zeros(vocab.get_vocab_size(POS_NAMESPACE), dtype=torch.bool)
            for special in (vocab._padding_token, vocab._oov_token):
                if special in pos_vocabulary:
                    never_predicted[pos_vocabulary[special]] = True
            self.register_buffer("_never_predicted_pos", never_predicted, persistent=False)
        initializer(self)

    def forward(
        self,
        words: TextFieldTensors,
        pos_tags: torch.LongTensor,
        metadata: List[Dict[str, Any]],
        head_tags: Optional[torch.LongTensor] = None,
        head_indices: Optional[torch.LongTensor] = None,
    ) -> Dict[str, Any]:
        """
        As `biaffine_parser`'s `forward`; `metadata` must carry each instance's `"lang"`. It is
        the parent's `forward` written out (embed, `_parse`, loss, scores) with the language passed
        to the embedder and the tagger between embedding and parsing, so that every value flows
        through arguments and return values.

        With the POS tagger, the output also has `pos_tag_loss` (included in `loss`),
        `predicted_pos_tags` (the tagger's tag for every word) and `pos_tags` (the tags the parser
        used: the input's where known, the tagger's where missing), both of shape
        `(batch_size, sequence_length)`; `make_output_human_readable` turns them into the lists
        `predicted_pos` and `pos`.
        """
        languages = self._languages(metadata)
        mask = get_text_field_mask(words)
        embedded_words = self._embed_words(words, languages)
        output: Dict[str, Any] = {}
        # The tags that mark punctuation for the scores, and the tags the parser reads.
        scoring_pos_tags = parser_pos_tags = pos_tags
        if self._pos_tagger_output is not None:
            missing = self._missing_pos_tags(pos_tags, mask)
            logits, predicted = self._tag(embedded_words, mask)
            scoring_pos_tags = cast(torch.LongTensor, torch.where(missing, predicted, pos_tags))
            parser_pos_tags = scoring_pos_tags
            if self._pos_input == "predicted":
                parser_pos_tags = cast(torch.LongTensor, predicted)
            known = cast(torch.BoolTensor, mask & ~missing)
            output["pos_tag_loss"] = sequence_cross_entropy_with_logits(
                cast(torch.FloatTensor, logits), pos_tags, known, average="token"
            )
            output["predicted_pos_tags"] = predicted
            output["pos_tags"] = parser_pos_tags
            self._pos_accuracy(languages, predicted, pos_tags, known)

        embedded_text_input = embedded_words
        if self._pos_tag_embedding is not None:
            embedded_text_input = torch.cat(
                [embedded_words, self._pos_tag_embedding(parser_pos_tags)], -1
            )
        heads, predicted_head_tags, mask_with_root, arc_nll, tag_nll = self._parse(
            embedded_text_input, mask, head_tags, head_indices
        )
        loss = arc_nll + tag_nll
        if "pos_tag_loss" in output:
            loss = loss + self._pos_tagger_loss_weight * output["pos_tag_loss"]
        if head_indices is not None and head_tags is not None:
            # Every score leaves out the symbolic ROOT at position 0; AllenNLP's punctuation too.
            evaluation_mask = self._get_mask_for_eval(mask, scoring_pos_tags)
            arguments = (
                heads[:, 1:],
                predicted_head_tags[:, 1:],
                head_indices,
                head_tags,
                evaluation_mask,
            )
            self._attachment_scores(*arguments)
            self._per_language_attachment_scores(languages, *arguments)
            universal = self._universal_relation
            self._conll18_scores(
                languages,
                heads[:, 1:],
                universal[predicted_head_tags[:, 1:]],
                head_indices,
                universal[head_tags],
                mask,
            )
        output.update(
            heads=heads,
            head_tags=predicted_head_tags,
            arc_loss=arc_nll,
            tag_loss=tag_nll,
            loss=loss,
            mask=mask_with_root,
            words=[meta["words"] for meta in metadata],
            pos=[meta["pos"] for meta in metadata],
            lang=languages,
        )
        return output

    def _embed_words(self, words: TextFieldTensors, languages: List[str]) -> torch.Tensor:
        """
        The text field embedder's output, each instance embedded in its language: words indexed
        by `elmo_characters_multilang` carry their language already; otherwise it is passed as
        the `lang` argument of every token embedder that takes one.
        """
        if not self._language_keys or any("lang" in words[key] for key in self._language_keys):
            return self.text_field_embedder(words)
        return self.text_field_embedder(words, lang=languages)

    def _tag(
        self, embedded_words: torch.Tensor, mask: torch.BoolTensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """
        The tagger's logits `(batch_size, sequence_length, num_pos_tags)` and predicted tags
        `(batch_size, sequence_length)`, never padding or the out-of-vocabulary tag.
        """
        assert self._pos_tagger_feedforward is not None and self._pos_tagger_output is not None
        hidden = self._input_dropout(embedded_words)
        if self._pos_tagger_encoder is not None:
            hidden = self._pos_tagger_encoder(hidden, mask)
        hidden = self._dropout(self._pos_tagger_feedforward(hidden))
        logits = self._pos_tagger_output(hidden)
        predicted = logits.masked_fill(self._never_predicted_pos, float("-inf")).argmax(-1)
        return logits, predicted

    def _missing_pos_tags(self, pos_tags: torch.LongTensor, mask: torch.BoolTensor) -> torch.Tensor:
        """Which words' input tags are not in the `pos` vocabulary (the out-of-vocabulary index)."""
        if self._missing_pos_index is None:
            return torch.zeros_like(mask)
        return (pos_tags == self._missing_pos_index) & mask

    def make_output_human_readable(self, output_dict: Dict[str, Any]) -> Dict[str, Any]:
        """
        The parent's output (`predicted_heads`, `predicted_dependencies`), and with the tagger
        `predicted_pos` (the tagger's tags) and `pos` (the tags the parser used), lists of strings.
        """
        output_dict = super().make_output_human_readable(output_dict)
        if "predicted_pos_tags" in output_dict:
            lengths = [len(words) for words in output_dict["words"]]
            for key, readable in (("predicted_pos_tags", "predicted_pos"), ("pos_tags", "pos")):
                indices = output_dict.pop(key).tolist()
                output_dict[readable] = [
                    [self.vocab.get_token_from_index(i, POS_NAMESPACE) for i in row[:length]]
                    for row, length in zip(indices, lengths)
                ]
        return output_dict

    @staticmethod
    def _languages(metadata: List[Dict[str, Any]]) -> List[str]:
        missing = [i for i, meta in enumerate(metadata) if not meta.get("lang")]
        if missing:
            raise ConfigurationError(
                f"Instances {missing} of the batch have no 'lang' in their metadata; read them "
                "with the universal_dependencies_multilang reader"
            )
        return [meta["lang"] for meta in metadata]

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        """
        `UAS_<lang>`, `LAS_<lang>` and their averages, the CoNLL 2018 `conll18_UAS_<lang>` and
        `conll18_LAS_<lang>` and their averages, `UPOS_<lang>` with a tagger, and the parent's
        `UAS`, `LAS`, `UEM`, `LEM` over all languages together (see "Scores" above).
        """
        metrics = super().get_metrics(reset)
        metrics.update(self._per_language_attachment_scores.get_metric(reset))
        metrics.update(self._conll18_scores.get_metric(reset))
        if self._pos_tagger_output is not None:
            metrics.update(self._pos_accuracy.get_metric(reset))
        return metrics

    default_predictor = "biaffine_parser_multilang"


def _universal_relations(vocab: Vocabulary, namespace: str) -> torch.Tensor:
    """
    For every relation id of `namespace`, the id of the first relation with the same universal
    part (`nmod:poss` -> `nmod`), so that comparing mapped ids compares universal relations.
    """
    first: Dict[str, int] = {}
    mapped = []
    for index in range(vocab.get_vocab_size(namespace)):
        universal = vocab.get_token_from_index(index, namespace).split(":")[0]
        mapped.append(first.setdefault(universal, index))
    return torch.tensor(mapped, dtype=torch.long)


def _keys_taking_a_language(text_field_embedder: TextFieldEmbedder) -> List[str]:
    """The keys of the token embedders whose `forward` has a `lang` argument."""
    prefix = "token_embedder_"  # how `BasicTextFieldEmbedder` names its embedders
    return [
        name[len(prefix) :]
        for name, module in text_field_embedder.named_children()
        if name.startswith(prefix) and "lang" in inspect.signature(module.forward).parameters
    ]
