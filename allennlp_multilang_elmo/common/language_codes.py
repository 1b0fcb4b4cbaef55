"""
Language codes: what a language may be called (`check_language`), and how it travels inside a
batch's tensors from the `elmo_characters_multilang` indexer to the embedder: as a fixed-length
row of bytes, reversible, vocabulary-free (any language, seen in training or not, survives
archiving) and batchable by AllenNLP's default tensor collation.
"""

import re
from typing import List

import torch
from allennlp.common.checks import ConfigurationError

LANGUAGE_CODE_LENGTH = 16
"""Characters (ASCII bytes) per encoded language; shorter codes are padded with zeros."""


# Letters, digits, `_` and `-`, starting with a letter: `en`, `pt-br`, `zh_Hant`. A language names
# modules, folders of archives and files, so nothing that can leave a folder (`/`, `..`) or split a
# module path (`.`).
_PLAIN_LANGUAGE_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def check_language(language: str) -> str:
    """Returns `language` if it is a plain language code; raises `ConfigurationError` otherwise."""
    if not (
        isinstance(language, str)
        and _PLAIN_LANGUAGE_CODE.fullmatch(language)
        and len(language) <= LANGUAGE_CODE_LENGTH
    ):
        raise ConfigurationError(
            f"{language!r} is not a plain language code: use letters, digits, '_' and '-', "
            f"starting with a letter, at most {LANGUAGE_CODE_LENGTH} characters "
            "(e.g. 'en', 'pt-br')"
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
