"""
`allennlp elmo-embed`: writes the ELMo layers of every sentence of a text file to hdf5, optionally
aligned; the multilingual successor of the `allennlp elmo` command that AllenNLP 1.0 removed.
"""

import argparse
import json
import logging
import os
import time
from typing import Iterator, List, Optional, Tuple

import h5py
import numpy
import torch
from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError
from allennlp.common.tqdm import Tqdm
from allennlp.data import Tokenizer
from allennlp.modules.elmo import batch_to_ids
from allennlp.nn.util import remove_sentence_boundaries

from allennlp_multilang_elmo.commands.tokenization_options import (
    add_tokenization_options,
    tokenizer_from_args,
)
from allennlp_multilang_elmo.common.atomic_files import atomic_file
from allennlp_multilang_elmo.common.text_files import numbered_lines
from allennlp_multilang_elmo.modules.alignment_matrix import align, load_alignment_matrix
from allennlp_multilang_elmo.modules.elmo_bilm import build_bilm

logger = logging.getLogger(__name__)

MAX_TOKENS_PER_LINE = 1000


@Subcommand.register("elmo-embed")
class ElmoEmbed(Subcommand):
    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Write the ELMo layers of each sentence of a text file (one sentence per line, raw "
            "with --language or tokenised with --tokenized) to hdf5: dataset '<line index>' of "
            "shape (layers, tokens, dim), or "
            "(tokens, dim) with --top or --average, and a 'sentence_to_index' JSON dataset."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("options_file", help="bilm-tf options.json (path or URL)")
        subparser.add_argument("weight_file", help="bilm-tf hdf5 weights (path or URL)")
        subparser.add_argument("input_file", help="UTF-8 text, one sentence per line")
        subparser.add_argument("output_file", help="hdf5 file to write (must not exist)")
        subparser.add_argument(
            "--align",
            help="alignment file: (dim, dim) applied to every layer written, or (layers, dim, dim)",
        )
        which = subparser.add_mutually_exclusive_group()
        which.add_argument("--layers", type=int, nargs="+", help="layers to write (default: all)")
        which.add_argument("--top", action="store_true", help="write only the top layer")
        which.add_argument("--average", action="store_true", help="write the average of the layers")
        subparser.add_argument("--batch-size", type=int, default=64)
        subparser.add_argument("--cuda-device", type=int, default=-1)
        subparser.add_argument(
            "--deterministic",
            action="store_true",
            help="start every sentence from the same warm state (no state carried between batches)",
        )
        add_tokenization_options(subparser)
        subparser.set_defaults(func=_embed_from_args)
        return subparser


def read_sentences(
    input_file: str, tokenizer: Optional[Tokenizer] = None
) -> Iterator[Tuple[int, List[str]]]:
    """
    (line index, tokens) of every line, split by `tokenizer` (at whitespace without one); blank,
    non-UTF-8 or over-long lines are errors.
    """
    try:
        for number, line in numbered_lines(input_file):
            where = f"{input_file}, line {number}"
            if tokenizer is None:
                tokens = line.split()
            else:
                tokens = [str(token.text) for token in tokenizer.tokenize(line)]
            if not tokens:
                raise ConfigurationError(f"{where}: blank line (every line must be a sentence)")
            if len(tokens) > MAX_TOKENS_PER_LINE:
                raise ConfigurationError(
                    f"{where}: {len(tokens)} tokens, over {MAX_TOKENS_PER_LINE}; "
                    "split it into sentences"
                )
            yield number - 1, tokens
    except ValueError as error:  # not UTF-8, naming the file and line
        raise ConfigurationError(str(error)) from None


def embed_file(
    options_file: str,
    weight_file: str,
    input_file: str,
    output_file: str,
    align_file: Optional[str] = None,
    layers: Optional[List[int]] = None,
    top: bool = False,
    average: bool = False,
    batch_size: int = 64,
    cuda_device: int = -1,
    deterministic: bool = False,
    tokenizer: Optional[Tokenizer] = None,
) -> int:
    """
    Writes `output_file` as described by `allennlp elmo-embed --help` and returns the number of
    sentences. The file appears only when complete (written under a temporary name, then renamed).
    Lines are split by `tokenizer` (for raw text, the `language_rules` tokenizer of the biLM's
    language), at whitespace without one.
    """
    if os.path.exists(output_file):
        raise ConfigurationError(f"Output file {output_file!r} exists; not overwriting it")
    if batch_size < 1:
        raise ConfigurationError(f"--batch-size must be positive, not {batch_size}")
    sentences = list(read_sentences(input_file, tokenizer))
    if not sentences:
        raise ConfigurationError(f"Input file {input_file!r} holds no sentence")
    device = torch.device("cpu" if cuda_device < 0 else f"cuda:{cuda_device}")
    bilm = build_bilm(
        options_file, weight_file, deterministic=deterministic, cuda_device=cuda_device
    ).eval()
    num_layers = bilm.num_layers
    if top:
        layers = [num_layers - 1]
    chosen = layers if layers is not None else list(range(num_layers))
    bad = [layer for layer in chosen if not 0 <= layer < num_layers]
    if bad:
        raise ConfigurationError(f"--layers {bad}: this ELMo has layers 0 to {num_layers - 1}")
    alignment = None
    if align_file:
        alignment = load_alignment_matrix(align_file, bilm.get_output_dim(), None, num_layers)
    if alignment is not None:
        alignment = alignment.to(device)

    start = time.perf_counter()
    num_tokens = 0
    with atomic_file(output_file) as temporary:
        with h5py.File(temporary, "w") as out, torch.no_grad():
            progress = Tqdm.tqdm(total=len(sentences), desc="elmo-embed", unit=" sentences")
            for first in range(0, len(sentences), batch_size):
                batch = sentences[first : first + batch_size]
                output = bilm(
                    batch_to_ids([tokens for _, tokens in batch]).to(device),
                    num_layers=max(chosen) + 1,
                )
                selected, mask = [], output["mask"]
                for layer in chosen:
                    activations = output["activations"][layer]
                    if alignment is not None:
                        activations = align(activations, alignment, layer)
                    without_boundaries, _ = remove_sentence_boundaries(activations, mask)
                    selected.append(without_boundaries)
                vectors = torch.stack(selected, dim=1)  # (batch, layers, timesteps, dim)
                if average or top:
                    vectors = vectors.mean(dim=1)
                for row, (index, tokens) in enumerate(batch):
                    out.create_dataset(
                        str(index),
                        data=vectors[row, ..., : len(tokens), :]
                        .cpu()
                        .numpy()
                        .astype(numpy.float32),
                    )
                    num_tokens += len(tokens)
                progress.update(len(batch))
            progress.close()
            text_to_index = {" ".join(tokens): str(index) for index, tokens in sentences}
            out.create_dataset("sentence_to_index", data=[json.dumps(text_to_index)])
    seconds = time.perf_counter() - start
    logger.info(
        "elmo-embed: %d sentences, %d tokens in %.1f s (%.0f tokens/s) -> %s",
        len(sentences),
        num_tokens,
        seconds,
        num_tokens / max(seconds, 1e-9),
        output_file,
    )
    return len(sentences)


def _embed_from_args(args: argparse.Namespace) -> None:
    embed_file(
        args.options_file,
        args.weight_file,
        args.input_file,
        args.output_file,
        align_file=args.align,
        layers=args.layers,
        top=args.top,
        average=args.average,
        batch_size=args.batch_size,
        cuda_device=args.cuda_device,
        deterministic=args.deterministic,
        tokenizer=tokenizer_from_args(args),
    )
