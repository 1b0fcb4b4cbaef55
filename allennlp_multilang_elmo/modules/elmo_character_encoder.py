from typing import Any, Dict, List

import numpy
import torch
from allennlp.data.token_indexers.elmo_indexer import ELMoCharacterMapper


def _array(parameter: torch.Tensor) -> numpy.ndarray:
    return parameter.detach().cpu().numpy().astype(numpy.float32)


def _boundary_ids(characters: List[int]) -> torch.Tensor:
    # AllenNLP's character ids are bilm-tf's plus one, so that 0 can pad.
    return torch.from_numpy(numpy.array(characters, dtype=numpy.int64) + 1)


class ElmoCharacterEncoder(torch.nn.Module):
    bos_characters: torch.Tensor
    eos_characters: torch.Tensor

    """
    ELMo's context-independent token encoder, with AllenNLP's `_ElmoCharacterEncoder` math:
    character embedding, one convolution per filter width (max over positions, then the activation),
    highway layers and a linear projection. Two differences in how, not what, it computes: each
    distinct token of a batch is encoded once, and weights keep bilm-tf's `x @ W` layout, so loading
    copies nothing it does not have to.

    # Parameters

    options : `Dict[str, Any]`
        The checked bilm-tf options (see `read_elmo_options`).
    weights : `Dict[str, numpy.ndarray]`
        The checked bilm-tf weights (see `read_elmo_weights`).
    requires_grad : `bool`, optional (default = `False`)
        Whether the weights are trained.
    """

    def __init__(
        self,
        options: Dict[str, Any],
        weights: Dict[str, numpy.ndarray],
        requires_grad: bool = False,
    ) -> None:
        super().__init__()
        cnn = options["char_cnn"]

        def parameter(array: numpy.ndarray) -> torch.nn.Parameter:
            return torch.nn.Parameter(torch.from_numpy(array), requires_grad=requires_grad)

        char_embed = weights["char_embed"]
        # Row 0 pads (AllenNLP's shift); it stays zero and is not trained, as in AllenNLP.
        table = numpy.zeros((char_embed.shape[0] + 1, char_embed.shape[1]), dtype=numpy.float32)
        table[1:] = char_embed
        self.char_embedding = parameter(table)
        self.conv_weights = torch.nn.ParameterList()
        self.conv_biases = torch.nn.ParameterList()
        for i in range(len(cnn["filters"])):
            # (1, width, char_dim, count) -> Conv1d's (count, char_dim, width)
            kernel = weights[f"CNN/W_cnn_{i}"][0].transpose(2, 1, 0)
            self.conv_weights.append(parameter(numpy.ascontiguousarray(kernel)))
            self.conv_biases.append(parameter(weights[f"CNN/b_cnn_{i}"]))
        # Each highway layer is one product `x @ [W_transform, -W_carry]`: AllenNLP's gate is the
        # negated bilm-tf carry gate.
        self.highway_weights = torch.nn.ParameterList()
        self.highway_biases = torch.nn.ParameterList()
        for k in range(cnn["n_highway"]):
            layer = f"CNN_high_{k}"
            self.highway_weights.append(
                parameter(
                    numpy.concatenate(
                        [weights[f"{layer}/W_transform"], -weights[f"{layer}/W_carry"]], axis=1
                    )
                )
            )
            self.highway_biases.append(
                parameter(
                    numpy.concatenate(
                        [weights[f"{layer}/b_transform"], -weights[f"{layer}/b_carry"]]
                    )
                )
            )
        self.projection_weight = parameter(weights["CNN_proj/W_proj"])
        self.projection_bias = parameter(weights["CNN_proj/b_proj"])
        self._activation = torch.tanh if cnn["activation"] == "tanh" else torch.relu
        self.register_buffer(
            "bos_characters",
            _boundary_ids(ELMoCharacterMapper.beginning_of_sentence_characters),
            persistent=False,
        )
        self.register_buffer(
            "eos_characters",
            _boundary_ids(ELMoCharacterMapper.end_of_sentence_characters),
            persistent=False,
        )

    def get_output_dim(self) -> int:
        return self.projection_weight.size(1)

    def bilm_tf_weights(self) -> Dict[str, numpy.ndarray]:
        """
        The encoder's (trained) weights as bilm-tf arrays keyed by hdf5 path: the exact inverse of
        the constructor. The padding row goes, the highway carry gate is negated back and the
        convolutions return to `(1, width, char_dim, count)`.
        """
        weights = {"char_embed": _array(self.char_embedding)[1:]}
        for i, (kernel, bias) in enumerate(zip(self.conv_weights, self.conv_biases)):
            weights[f"CNN/W_cnn_{i}"] = _array(kernel).transpose(2, 1, 0)[None]
            weights[f"CNN/b_cnn_{i}"] = _array(bias)
        for k, (kernel, bias) in enumerate(zip(self.highway_weights, self.highway_biases)):
            transform, carry = numpy.split(_array(kernel), 2, axis=1)
            transform_bias, carry_bias = numpy.split(_array(bias), 2)
            weights[f"CNN_high_{k}/W_transform"] = transform
            weights[f"CNN_high_{k}/W_carry"] = -carry
            weights[f"CNN_high_{k}/b_transform"] = transform_bias
            weights[f"CNN_high_{k}/b_carry"] = -carry_bias
        weights["CNN_proj/W_proj"] = _array(self.projection_weight)
        weights["CNN_proj/b_proj"] = _array(self.projection_bias)
        return {name: numpy.ascontiguousarray(value) for name, value in weights.items()}

    def encode_tokens(self, characters: torch.Tensor) -> torch.Tensor:
        """
        Encodes tokens given as rows of character ids, `(num_tokens, 50)`, into
        `(num_tokens, output_dim)`.
        """
        return self._encode_trimmed(self._trimmed(characters))

    def _encode_trimmed(self, characters: torch.Tensor) -> torch.Tensor:
        """`encode_tokens` of rows already cut to the positions they need (`_trimmed`)."""
        embedded = torch.nn.functional.embedding(characters, self.char_embedding).transpose(1, 2)
        features = []
        for weight, bias in zip(self.conv_weights, self.conv_biases):
            convolved = torch.nn.functional.conv1d(embedded, weight, bias)
            features.append(self._activation(convolved.max(dim=-1).values))
        encoded = torch.cat(features, dim=-1)
        for weight, bias in zip(self.highway_weights, self.highway_biases):
            nonlinear, gate = torch.addmm(bias, encoded, weight).chunk(2, dim=-1)
            gate = torch.sigmoid(gate)
            encoded = gate * encoded + (1 - gate) * torch.relu(nonlinear)
        return torch.addmm(self.projection_bias, encoded, self.projection_weight)

    def _trimmed(self, characters: torch.Tensor) -> torch.Tensor:
        """Rows of character ids `(num_tokens, 50)` cut to the positions the convolutions need."""
        return characters[:, : self._needed_positions(characters)]

    def _needed_positions(self, characters: torch.Tensor) -> int:
        """
        How many character positions the convolutions must see for the same result. Past the
        longest token, every row repeats its last character (padding), so every window that starts
        there sees what the first one does in its row: the max over positions is the same with
        one such window of each width kept. Tokens are short (ELMo pads them to 50), so this
        drops most of the convolutions' work.
        """
        changes = (characters != characters[:, -1:]).any(dim=0).nonzero()
        last = int(changes[-1]) + 1 if len(changes) else 0
        widest = max(weight.size(-1) for weight in self.conv_weights)
        return min(characters.size(-1), last + widest)

    def forward(self, characters: torch.Tensor) -> torch.Tensor:
        """
        # Parameters

        characters : `torch.Tensor`
            Shape `(..., 50)` of character ids, sentence boundaries included.

        # Returns

        `torch.Tensor`
            Shape `(..., output_dim)`: each token's encoding. A token that occurs several times
            is encoded once.
        """
        # Trimmed first: finding the distinct rows costs in proportion to their width.
        rows = self._trimmed(characters.reshape(-1, characters.size(-1)))
        distinct, inverse = torch.unique(rows, dim=0, return_inverse=True)
        encoded = self._encode_trimmed(distinct).index_select(0, inverse)
        return encoded.view(*characters.shape[:-1], -1)
