"""
Languages travel from an `Instance` to the embedder inside the batch's tensors, so they are encoded
as fixed-length rows of UTF-8 bytes: reversible, vocabulary-free (any language, seen in training or
not, survives archiving) and batchable by AllenNLP's default tensor collation.
"""

from typing import List

import torch
from allennlp.common.checks import ConfigurationError

LANGUAGE_CODE_LENGTH = 16
"""Bytes per encoded language; shorter codes are padded with zeros."""


def check_language(language: str) -> str:
    """Returns `language` if it can name a module and be encoded; raises otherwise."""
    if not isinstance(language, str) or not language:
        raise ConfigurationError(f"A language must be a non-empty string, not {language!r}")
    encoded = language.encode("utf-8")
    if len(encoded) > LANGUAGE_CODE_LENGTH or "." in language or "\x00" in language:
        raise ConfigurationError(
            f"Language {language!r} is not usable: at most {LANGUAGE_CODE_LENGTH} UTF-8 bytes, "
            "without '.' or NUL characters"
        )
    return language


def encode_language(language: str) -> List[int]:
    """The byte row of `language`, `LANGUAGE_CODE_LENGTH` long."""
    encoded = list(check_language(language).encode("utf-8"))
    return encoded + [0] * (LANGUAGE_CODE_LENGTH - len(encoded))


def decode_languages(codes: torch.Tensor) -> List[str]:
    """
    Decodes a `(..., LANGUAGE_CODE_LENGTH)` tensor of byte rows into a flat list of languages, one
    per row; an all-zero row (a padding instance) decodes to `""`.
    """
    if codes.size(-1) != LANGUAGE_CODE_LENGTH:
        raise ValueError(
            f"Language codes must have {LANGUAGE_CODE_LENGTH} bytes in their last dimension, "
            f"got shape {tuple(codes.shape)}"
        )
    rows = codes.reshape(-1, LANGUAGE_CODE_LENGTH).tolist()
    return [bytes(b for b in row if b).decode("utf-8") for row in rows]
