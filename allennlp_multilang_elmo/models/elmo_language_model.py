import math
from typing import Any, Dict, List, Optional

import numpy
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.data.vocabulary import DEFAULT_OOV_TOKEN, DEFAULT_PADDING_TOKEN
from allennlp.models.model import Model
from allennlp.nn.util import dist_reduce_sum, is_distributed
from allennlp.training.metrics import Metric

from allennlp_multilang_elmo.data.dataset_readers.bilm_text import BOS, EOS
from allennlp_multilang_elmo.modules.elmo_bilstm import ElmoBiLstm
from allennlp_multilang_elmo.modules.elmo_character_encoder import ElmoCharacterEncoder
from allennlp_multilang_elmo.modules.elmo_weights import (
    check_elmo_options,
    complete_elmo_options,
    initial_elmo_weights,
    read_elmo_options,
    read_elmo_weights,
)
from allennlp_multilang_elmo.modules.sampled_softmax_loss import (
    LogSumExpSampledSoftmaxLoss,
    full_softmax_negative_log_likelihood,
)


@Model.register("elmo_bilm_language_model")
class ElmoLanguageModel(Model):
    """
    An ELMo biLM to train with `allennlp train` and export to bilm-tf files (`elmo-export`):
    exactly ELMo's architecture from bilm-tf options (character CNN, highway layers, projection; per
    direction a stack of LSTM cells with a projection, cell clip and projection clip and residual
    connections from the second layer on), computed by this package's engine
    (`ElmoCharacterEncoder`, `ElmoBiLstm`) with its parameters in bilm-tf's layout. The top layer's
    forward half predicts the next word and its backward half the previous one, through one softmax
    shared by both directions (as in bilm-tf): sampled (TensorFlow's log-uniform sampler,
    `LogSumExpSampledSoftmaxLoss`) in training, full in evaluation, so validation perplexity is
    exact. The loss is the mean of the two directions' mean negative log-likelihoods. The LSTM
    carries each batch row's state to the same row of the next batch (read the corpus with
    `bilm_text`); a switch between training and evaluation starts again from a zero state, so each
    training epoch and each validation starts afresh, and the validation perplexity is the one
    `allennlp evaluate` gives the model.

    Dropout is applied to the LSTM's input (the token encodings) and to its top layer's output
    before the softmax; bilm-tf also applied it between LSTM layers, which the engine runs as one
    unit.

    Registered as a `Model` with name "elmo_bilm_language_model".

    # Parameters

    vocab : `Vocabulary`
        Its `namespace` lists the words the softmax predicts, most frequent first (the sampler
        assumes that order, as AllenNLP's vocabulary sorts by count); other words are predicted
        as the unknown-word id.
    options : `Dict[str, Any]`, optional (default = `None`)
        bilm-tf options (`lstm` and `char_cnn` sections, as in `options.json`).
    options_file : `str`, optional (default = `None`)
        Or the `options.json` to read them from; give exactly one of the two.
    weight_file : `str`, optional (default = `None`)
        Start from these bilm-tf weights instead of fresh ones.
    num_samples : `int`, optional (default = `8192`)
        Negative samples of the sampled softmax in training (fewer than the vocabulary's words);
        `None` or 0: the full softmax in training too.
    dropout : `float`, optional (default = `0.1`)
        See above.
    seed : `int`, optional (default = `0`)
        Seed of the fresh biLM weights (`initial_elmo_weights`); the softmax is drawn from torch's
        generator, which `allennlp train` seeds.
    namespace : `str`, optional (default = `"tokens"`)
        The vocabulary namespace of the target words (the `single_id` indexer's).
    """

    def __init__(
        self,
        vocab: Vocabulary,
        options: Optional[Dict[str, Any]] = None,
        options_file: Optional[str] = None,
        weight_file: Optional[str] = None,
        num_samples: Optional[int] = 8192,
        dropout: float = 0.1,
        seed: int = 0,
        namespace: str = "tokens",
        **kwargs,
    ) -> None:
        super().__init__(vocab, **kwargs)
        if (options is None) == (options_file is None):
            raise ConfigurationError("Give the biLM's options or options_file (exactly one)")
        if options_file is not None:
            options = read_elmo_options(options_file)
        else:
            options = check_elmo_options(options, "The model's ELMo options")
        self.options = complete_elmo_options(options)
        if weight_file is not None:
            weights = read_elmo_weights(weight_file, self.options)
        else:
            weights = initial_elmo_weights(self.options, seed)
        self._token_encoder = ElmoCharacterEncoder(self.options, weights, requires_grad=True)
        self._lstm = ElmoBiLstm(self.options, weights, requires_grad=True)
        del weights
        self._namespace = namespace
        words = [
            word
            for word in vocab.get_token_to_index_vocabulary(namespace)
            if word not in (DEFAULT_PADDING_TOKEN, DEFAULT_OOV_TOKEN, BOS, EOS)
        ]
        if not vocab.is_padded(namespace):
            raise ConfigurationError(
                f"The vocabulary namespace {namespace!r} must be padded (id 0 pads, never a target)"
            )
        if not words:
            raise ConfigurationError(
                f"The vocabulary's namespace {namespace!r} holds no word of the corpus (only "
                "sentence boundaries and the unknown word): is the corpus empty of words, the "
                "min_count too high, or the vocabulary from another corpus?"
            )
        # Targets skip the padding id 0: the softmax's rows are ids 1..V-1.
        num_words = vocab.get_vocab_size(namespace) - 1
        dim = self.options["lstm"]["projection_dim"]
        self._softmax: torch.nn.Module
        if num_samples:
            if num_samples >= num_words:
                raise ConfigurationError(
                    f"num_samples ({num_samples}) must be smaller than the vocabulary's "
                    f"{num_words} words; lower it, or use the full softmax (num_samples: null)"
                )
            self._softmax = LogSumExpSampledSoftmaxLoss(num_words, dim, num_samples)
        else:
            self._softmax = _FullSoftmaxLoss(num_words, dim)
        self._dropout = torch.nn.Dropout(dropout)
        # Metrics (not plain numbers) so that checkpoints keep them (`exact_resume`).
        self._forward_nll = WordNegativeLogLikelihood()
        self._backward_nll = WordNegativeLogLikelihood()
        # Whether the last batch was a training one (None before the first batch).
        self._mode: Optional[bool] = None

    def forward(self, tokens: TextFieldTensors) -> Dict[str, torch.Tensor]:
        """
        # Parameters

        tokens : `TextFieldTensors`
            `tokens["elmo"]["elmo_tokens"]`, `(batch_size, timesteps, 50)` character ids, and
            `tokens["tokens"]["tokens"]`, `(batch_size, timesteps)` word ids, of sentences with
            their boundaries (`<S>` ... `</S>`, from `bilm_text`).

        # Returns

        `Dict[str, torch.Tensor]`: `loss` (scalar), `forward_loss` and `backward_loss` (each
        direction's mean negative log-likelihood per predicted word), `lm_embeddings`, the top
        layer `(batch_size, timesteps, 2 * projection_dim)`, and `mask`, `(batch_size, timesteps)`.
        """
        if self._mode is not None and self._mode != self.training:
            self.reset_states()
        self._mode = self.training
        characters = tokens["elmo"]["elmo_tokens"]
        targets = tokens[self._namespace][self._namespace]
        mask = (characters > 0).any(dim=-1)
        layers = self.representations(characters, mask, self._dropout)
        top = self._dropout(layers[-1])
        forward_output, backward_output = top.chunk(2, dim=-1)
        # Sentences are left-aligned: position t + 1 is real only if t is. Forward: t predicts
        # t + 1; backward: t + 1 predicts t.
        predicted = mask[:, 1:]
        losses = {
            "forward": self._loss(
                "forward", forward_output[:, :-1][predicted], targets[:, 1:][predicted]
            ),
            "backward": self._loss(
                "backward", backward_output[:, 1:][predicted], targets[:, :-1][predicted]
            ),
        }
        return {
            "loss": 0.5 * (losses["forward"] + losses["backward"]),
            "forward_loss": losses["forward"],
            "backward_loss": losses["backward"],
            "lm_embeddings": layers[-1],
            "mask": mask,
        }

    def representations(
        self,
        characters: torch.Tensor,
        mask: torch.Tensor,
        dropout: Optional[torch.nn.Module] = None,
    ) -> List[torch.Tensor]:
        """
        ELMo's layers for `characters` `(batch_size, timesteps, 50)` whose sentence boundaries are
        included: the token layer `(batch_size, timesteps, 2 * projection_dim)` (the encoding
        repeated for both directions, as AllenNLP's `_ElmoBiLm` gives it) and each LSTM layer's
        output, zero at padding. The LSTM state carries over from the previous call.
        """
        encoded = self._token_encoder(characters)
        if dropout is not None:
            encoded = dropout(encoded)
        token_layer = torch.cat([encoded, encoded], dim=-1) * mask.unsqueeze(-1)
        return [token_layer] + self._lstm(encoded, mask)

    def _loss(self, direction: str, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if targets.numel() == 0:
            return outputs.new_zeros(())
        total = self._softmax(outputs, targets - 1)
        self._word_nll(direction)(float(total.detach()), targets.numel())
        return total / targets.numel()

    def _word_nll(self, direction: str) -> "WordNegativeLogLikelihood":
        return self._forward_nll if direction == "forward" else self._backward_nll

    def reset_states(self) -> None:
        """Forgets the LSTM state carried between batches: the next batch starts from zeros."""
        self._lstm.reset_states()

    def carried_state(self) -> Optional[Dict[str, torch.Tensor]]:
        """
        What the next batch starts from, for checkpoints (`exact_resume`): the LSTM state and
        whether the last batch was a training one; `None` before the first batch.
        """
        if self._mode is None:
            return None
        state = {"training": torch.tensor(self._mode)}
        carried = self._lstm._states
        if carried is not None:
            state.update(hidden=carried[0].clone(), memory=carried[1].clone())
        return state

    def restore_carried_state(self, state: Optional[Dict[str, torch.Tensor]]) -> None:
        """Continues from a state saved by `carried_state`."""
        self.reset_states()
        self._mode = None if state is None else bool(state["training"])
        if state is not None and "hidden" in state:
            device = self._token_encoder.char_embedding.device
            self._lstm._states = (state["hidden"].to(device), state["memory"].to(device))

    def elmo_weights(self) -> Dict[str, numpy.ndarray]:
        """The biLM's weights as bilm-tf arrays keyed by hdf5 path, for `write_elmo_files`."""
        return {**self._token_encoder.bilm_tf_weights(), **self._lstm.bilm_tf_weights()}

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        """
        Perplexities over the words predicted since the last reset, per direction and of both
        (the exponential of the mean negative log-likelihood; exact in evaluation, the sampled
        softmax's estimate in training). In distributed training the figures at a reset (the
        epoch's) are over the words of all processes; in between, over this process's.
        """
        metrics = {}
        for direction in ("forward", "backward"):
            mean = self._word_nll(direction).get_metric(reset)
            if mean is not None:
                metrics[f"{direction}_perplexity"] = math.exp(mean)
        if len(metrics) == 2:
            metrics["perplexity"] = math.sqrt(
                metrics["forward_perplexity"] * metrics["backward_perplexity"]
            )
        return metrics


class WordNegativeLogLikelihood(Metric):
    """
    The mean negative log-likelihood per predicted word, from each batch's sum and word count. At
    a reset (the end of an epoch) in distributed training, it is over the words of all processes
    (the trainer asks for it with reset in every process at once); in between, over this one's.
    """

    def __init__(self) -> None:
        self._total = 0.0
        self._count = 0

    def __call__(self, total: float, count: int) -> None:  # type: ignore[override]
        self._total += total
        self._count += count

    def get_metric(self, reset: bool = False) -> Optional[float]:
        total, count = self._total, self._count
        if reset and is_distributed():
            summed = dist_reduce_sum(torch.tensor([total, count], dtype=torch.float64)).tolist()
            total, count = summed[0], int(summed[1])
        if reset:
            self.reset()
        return total / count if count else None

    def reset(self) -> None:
        self._total = 0.0
        self._count = 0


class _FullSoftmaxLoss(torch.nn.Module):
    """The summed negative log-likelihood of a full softmax over `num_words` words."""

    def __init__(self, num_words: int, dim: int) -> None:
        super().__init__()
        self.softmax_w = torch.nn.Parameter(torch.randn(num_words, dim) / math.sqrt(dim))
        self.softmax_b = torch.nn.Parameter(torch.zeros(num_words))

    def forward(self, embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return full_softmax_negative_log_likelihood(
            embeddings, self.softmax_w, self.softmax_b, targets
        )
