from typing import Any, Dict, List

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.models.model import Model
from allennlp.modules import FeedForward, Seq2SeqEncoder, TextFieldEmbedder
from allennlp.modules.token_embedders import Embedding
from allennlp.nn import InitializerApplicator
from allennlp.nn.util import get_text_field_mask
from allennlp_models.structured_prediction.models.biaffine_dependency_parser import (
    BiaffineDependencyParser,
)

from allennlp_multilang_elmo.training.metrics import PerLanguageAttachmentScores


@Model.register("biaffine_parser_multilang")
class BiaffineDependencyParserMultiLang(BiaffineDependencyParser):
    """
    allennlp-models' `biaffine_parser` for cross-lingual parsing: every parser parameter is shared
    by all languages, the language goes to the text field embedder (to pick the language's ELMo and
    alignment), and attachment scores are kept per language.

    The language of each instance comes from `metadata["lang"]` (as `universal_dependencies_multilang`
    writes it). If the words were indexed by `elmo_characters_multilang`, the language already
    travels inside the text field tensors and batches may mix languages; otherwise the model passes
    `lang=<the batch's language>` to the embedder, and each batch must hold a single language (use
    the `same_language` batch sampler).

    Registered as a `Model` with name "biaffine_parser_multilang".

    # Parameters

    The parameters of `biaffine_parser`, plus:

    langs_for_early_stop : `List[str]`, optional (default = `None`)
        The languages over which `UAS_AVG` and `LAS_AVG` are averaged (use
        `"validation_metric": "+LAS_AVG"`); usually the training languages, so that model selection
        never sees a zero-shot target. `None` averages over every language seen.
    """

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        encoder: Seq2SeqEncoder,
        tag_representation_dim: int,
        arc_representation_dim: int,
        tag_feedforward: FeedForward = None,
        arc_feedforward: FeedForward = None,
        pos_tag_embedding: Embedding = None,
        use_mst_decoding_for_validation: bool = True,
        langs_for_early_stop: List[str] = None,
        dropout: float = 0.0,
        input_dropout: float = 0.0,
        initializer: InitializerApplicator = InitializerApplicator(),
        **kwargs,
    ) -> None:
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
            initializer=initializer,
            **kwargs,
        )
        self._attachment_scores = PerLanguageAttachmentScores(langs_for_early_stop)

    def forward(
        self,  # type: ignore
        words: TextFieldTensors,
        pos_tags: torch.LongTensor,
        metadata: List[Dict[str, Any]],
        head_tags: torch.LongTensor = None,
        head_indices: torch.LongTensor = None,
    ) -> Dict[str, torch.Tensor]:
        """
        As `biaffine_parser`'s `forward`; `metadata` must carry each instance's `"lang"`.
        """
        languages = self._languages(metadata)
        embedded_text_input = self.text_field_embedder(words, **self._embedder_kwargs(words, languages))
        if pos_tags is not None and self._pos_tag_embedding is not None:
            embedded_pos_tags = self._pos_tag_embedding(pos_tags)
            embedded_text_input = torch.cat([embedded_text_input, embedded_pos_tags], -1)
        elif self._pos_tag_embedding is not None:
            raise ConfigurationError("Model uses a POS embedding, but no POS tags were passed.")

        mask = get_text_field_mask(words)
        predicted_heads, predicted_head_tags, mask, arc_nll, tag_nll = self._parse(
            embedded_text_input, mask, head_tags, head_indices
        )

        if head_indices is not None and head_tags is not None:
            # Scores exclude the symbolic ROOT at position 0, and punctuation.
            evaluation_mask = self._get_mask_for_eval(mask[:, 1:], pos_tags)
            self._attachment_scores(
                languages,
                predicted_heads[:, 1:],
                predicted_head_tags[:, 1:],
                head_indices,
                head_tags,
                evaluation_mask,
            )

        return {
            "heads": predicted_heads,
            "head_tags": predicted_head_tags,
            "arc_loss": arc_nll,
            "tag_loss": tag_nll,
            "loss": arc_nll + tag_nll,
            "mask": mask,
            "words": [meta["words"] for meta in metadata],
            "pos": [meta["pos"] for meta in metadata],
            "lang": languages,
        }

    @staticmethod
    def _languages(metadata: List[Dict[str, Any]]) -> List[str]:
        missing = [i for i, meta in enumerate(metadata) if not meta.get("lang")]
        if missing:
            raise ConfigurationError(
                f"Instances {missing} of the batch have no 'lang' in their metadata; read them with "
                "the universal_dependencies_multilang reader"
            )
        return [meta["lang"] for meta in metadata]

    @staticmethod
    def _embedder_kwargs(words: TextFieldTensors, languages: List[str]) -> Dict[str, str]:
        if any("lang" in tensors for tensors in words.values()):
            # elmo_characters_multilang already carries each instance's language.
            return {}
        batch_languages = sorted(set(languages))
        if len(batch_languages) > 1:
            raise ConfigurationError(
                f"This batch mixes languages {batch_languages}, but the embedder gets one language "
                "per batch: use the same_language batch sampler, or index the words with "
                "elmo_characters_multilang"
            )
        return {"lang": batch_languages[0]}

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        return self._attachment_scores.get_metric(reset)

    default_predictor = "biaffine_parser_multilang"
