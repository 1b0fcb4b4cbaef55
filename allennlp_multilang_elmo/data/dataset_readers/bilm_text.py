import glob
import os
from typing import Dict, Generator, Iterable, List, Optional, Tuple

from allennlp.common.checks import ConfigurationError
from allennlp.common.file_utils import cached_path
from allennlp.data import DatasetReader, Instance, Token, TokenIndexer, Tokenizer
from allennlp.data.fields import TextField
from allennlp.data.token_indexers import SingleIdTokenIndexer
from allennlp.data.token_indexers.elmo_indexer import ELMoCharacterMapper

from allennlp_multilang_elmo.common.corpus_files import corpus_files
from allennlp_multilang_elmo.common.text_files import positioned_lines
from allennlp_multilang_elmo.data.token_indexers.cached_elmo_characters_indexer import (
    CachedELMoTokenCharactersIndexer,
)
from allennlp_multilang_elmo.data.tokenizers.language_rules_tokenizer import (
    LanguageRulesTokenizer,
)

BOS, EOS = ELMoCharacterMapper.bos_token, ELMoCharacterMapper.eos_token

Position = Tuple[int, int, int, int]
"""Where a sentence starts: file index, byte offset and number of its line, piece of the line."""
START: Position = (0, 0, 1, 0)


@DatasetReader.register("bilm_text")
class BilmTextDatasetReader(DatasetReader):
    """
    Raw text for training an ELMo biLM (`elmo_bilm_language_model`): one sentence (or paragraph)
    per line, or one column of a tab-separated file, tokenised, each sentence between `<S>` and
    `</S>` (which the `elmo_characters` indexer turns into ELMo's sentence-boundary characters).
    The corpus is one file or a glob of files (shards, read in sorted order as one text).

    Like bilm-tf, training reads the corpus as parallel token streams, one per row of the batch,
    and the biLM carries each row's LSTM state to the same row of the next batch. The corpus is cut
    into contiguous parts (their lengths differ by at most one sentence), one per stream; batch `k`
    holds sentence `k` of every part (instance `k * num_streams + r` is sentence `k` of part `r`),
    so a data loader whose `batch_size` is `num_streams` and that does not shuffle gives each row
    its own text. What differs from bilm-tf: a row holds one whole sentence (padded to the batch's
    longest) instead of a fixed window of 20 tokens cut across sentences, so back-propagation is
    truncated at sentence ends rather than every 20 tokens; the forward and backward LSTMs read the
    same sentences (bilm-tf fed the backward LM a separately shuffled stream of reversed
    sentences), so the backward LSTM starts each sentence from its state after the previous
    sentence, as AllenNLP's `Elmo` runs it; and the order is the corpus order in every epoch
    (bilm-tf shuffled sentences when it loaded a shard).

    The corpus is streamed, never held in memory: a first reading counts the sentences and finds
    where each part starts (kept for later epochs while the files are unchanged), then each stream
    reads its own part from there. Memory is bounded by the data loader's
    `max_instances_in_memory`, which must then be given (a multiple of `batch_size`: without it,
    AllenNLP keeps every instance of the corpus), and read without data loader workers.

    In distributed training (AllenNLP's `distributed` setting) the corpus is cut into
    `num_streams` parts per process and process `i` reads parts `i * num_streams` to
    `(i + 1) * num_streams - 1`: the effective batch is `num_streams` times the number of
    processes, and the last, partial round of sentences (fewer than one per part) is left out so
    that every process trains the same number of batches.

    Registered as a `DatasetReader` with name "bilm_text".

    # Parameters

    num_streams : `int`, optional (default = `64`)
        The number of parallel streams of one process: the data loader's `batch_size`.
    column : `int`, optional (default = `None`)
        Read this tab-separated column (0-based) of every line; `None` reads whole lines.
    language : `str`, optional (default = `"xx"`)
        Without `tokenizer`, text is split by the project's one tokenisation, the
        `language_rules` tokenizer for this language (spaCy's rules, no model download; `"xx"`:
        language-neutral rules), as `elmo-anchors`, `elmo-dictionary` and the parser's predictor
        split raw text.
    tokenizer : `Tokenizer`, optional (default = `None`)
        Any AllenNLP tokenizer instead (`{"type": "language_rules", "pretokenized": true}` for
        text already tokenised, one token per space-separated string).
    token_indexers : `Dict[str, TokenIndexer]`, optional
        Default: `{"elmo": elmo_characters_cached, "tokens": single_id}` (characters in, word ids as
        the language model's targets).
    max_sentence_length : `int`, optional (default = `200`)
        Longer sentences are cut into pieces of at most this many tokens, each a sentence.
    """

    def __init__(
        self,
        num_streams: int = 64,
        column: Optional[int] = None,
        language: str = "xx",
        tokenizer: Optional[Tokenizer] = None,
        token_indexers: Optional[Dict[str, TokenIndexer]] = None,
        max_sentence_length: int = 200,
        **kwargs,
    ) -> None:
        super().__init__(
            manual_distributed_sharding=True, manual_multiprocess_sharding=True, **kwargs
        )
        for name, value, minimum in (
            ("num_streams", num_streams, 1),
            ("max_sentence_length", max_sentence_length, 1),
            ("column", column if column is not None else 0, 0),
        ):
            if not isinstance(value, int) or value < minimum:
                raise ConfigurationError(f"{name} must be an integer of at least {minimum}")
        self._num_streams = num_streams
        self._column = column
        self._tokenizer = tokenizer or LanguageRulesTokenizer(language)
        self._token_indexers = token_indexers or {
            "elmo": CachedELMoTokenCharactersIndexer(),
            "tokens": SingleIdTokenIndexer(),
        }
        self._max_sentence_length = max_sentence_length
        # By the files with their sizes and modification times: the number of sentences, and
        # with the number of parts, where each part starts.
        self._totals: Dict[Tuple, int] = {}
        self._layouts: Dict[Tuple, Tuple[int, List[Position]]] = {}

    def corpus_files(self, file_path: str) -> List[str]:
        """The files of the corpus `file_path`: one file or URL, or the sorted matches of a glob."""
        if glob.has_magic(file_path):
            try:
                return corpus_files([file_path])
            except ValueError as error:
                raise ConfigurationError(str(error)) from error
        try:
            return [cached_path(file_path)]
        except (FileNotFoundError, ValueError) as error:
            raise ConfigurationError(f"Cannot read the corpus {file_path!r}: {error}") from error

    def _words(self, text: str) -> List[str]:
        return [str(token.text) for token in self._tokenizer.tokenize(text)]

    def sentences(
        self, files: List[str], start: Position = START
    ) -> Generator[Tuple[Position, List[str]], None, None]:
        """
        `(position, words)` of the sentences of `files` (read as one text) from `start`, in
        corpus order, long ones cut into pieces; blank lines are skipped. A line without the
        column and text that is not UTF-8 raise a `ConfigurationError` naming the file and line.
        """
        first_file, offset, line_number, first_piece = start
        for file_index in range(first_file, len(files)):
            path = files[file_index]
            if file_index > first_file:
                offset, line_number, first_piece = 0, 1, 0
            try:
                for line_offset, number, line in positioned_lines(path, offset, line_number):
                    words = self._words(self._text(line, path, number))
                    pieces = range(0, len(words), self._max_sentence_length)
                    for piece, begin in enumerate(pieces):
                        if piece >= first_piece:
                            position = (file_index, line_offset, number, piece)
                            yield position, words[begin : begin + self._max_sentence_length]
                    first_piece = 0
            except ValueError as error:  # not UTF-8, with the file and line
                raise ConfigurationError(str(error)) from error

    def _text(self, line: str, path: str, line_number: int) -> str:
        if self._column is None:
            return line
        fields = line.split("\t")
        if len(fields) <= self._column:
            if not line.strip():
                return ""
            raise ConfigurationError(
                f"{path}, line {line_number}: no column {self._column} (0-based; the line has "
                f"{len(fields)} tab-separated columns)"
            )
        return fields[self._column]

    def read_sentences(self, file_path: str) -> List[List[str]]:
        """
        The tokenised sentences of `file_path` in corpus order, in memory (for small corpora:
        dictionaries, summaries); a corpus without a sentence raises a `ConfigurationError`.
        """
        sentences = [words for _, words in self.sentences(self.corpus_files(file_path))]
        if not sentences:
            self._refuse_empty(file_path)
        return sentences

    def _refuse_empty(self, file_path: str) -> None:
        where = f"column {self._column} of " if self._column is not None else ""
        raise ConfigurationError(
            f"The corpus {file_path!r} is empty: {where}its lines hold no tokens"
        )

    def _layout(self, file_path: str, files: List[str], parts: int) -> Tuple[int, List[Position]]:
        """The number of sentences and where each of (at most) `parts` contiguous parts starts."""
        signature = tuple(
            (path, status.st_size, status.st_mtime_ns)
            for path, status in ((path, os.stat(path)) for path in files)
        )
        if (signature, parts) not in self._layouts:
            if signature not in self._totals:
                self._totals[signature] = sum(1 for _ in self.sentences(files))
            total = self._totals[signature]
            if total == 0:
                self._refuse_empty(file_path)
            size, longer = divmod(total, min(parts, total))
            # Part r starts at sentence r * size + min(r, longer): the first `longer` hold one more.
            wanted = [r * size + min(r, longer) for r in range(min(parts, total))]
            starts: List[Position] = []
            for index, (position, _) in enumerate(self.sentences(files)):
                if index == wanted[len(starts)]:
                    starts.append(position)
                    if len(starts) == len(wanted):
                        break
            self._layouts[(signature, parts)] = (total, starts)
        return self._layouts[(signature, parts)]

    def _read(self, file_path: str) -> Iterable[Instance]:
        worker = self.get_worker_info()
        if worker is not None and worker.num_workers > 1:
            raise ConfigurationError(
                "bilm_text reads its streams in order: use the data loader without workers "
                "(num_workers 0 or 1)"
            )
        distributed = self.get_distributed_info()
        processes, rank = (
            (1, 0) if distributed is None else (distributed.world_size, distributed.global_rank)
        )
        files = self.corpus_files(file_path)
        total, starts = self._layout(file_path, files, self._num_streams * processes)
        if processes > 1 and len(starts) < self._num_streams * processes:
            raise ConfigurationError(
                f"The corpus {file_path!r} has {total} sentences, fewer than the "
                f"{self._num_streams * processes} streams of {processes} processes"
            )
        size, longer = divmod(total, len(starts))
        mine = range(rank * self._num_streams, min((rank + 1) * self._num_streams, len(starts)))
        streams = [self.sentences(files, starts[r]) for r in mine]
        rounds = size + 1 if processes == 1 and longer else size
        try:
            for k in range(rounds):
                for r, stream in zip(mine, streams):
                    if k < size or r < longer:
                        yield self.text_to_instance(next(stream)[1])
        finally:
            for stream in streams:
                stream.close()

    def text_to_instance(self, words: List[str]) -> Instance:
        """One sentence, as `tokens`: `<S>`, the words, `</S>`."""
        tokens = [Token(BOS)] + [Token(word) for word in words] + [Token(EOS)]
        return Instance({"tokens": TextField(tokens)})

    def apply_token_indexers(self, instance: Instance) -> None:
        instance.fields["tokens"].token_indexers = self._token_indexers  # type: ignore
