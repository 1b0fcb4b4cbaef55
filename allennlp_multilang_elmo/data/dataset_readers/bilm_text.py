from typing import Dict, Iterable, List, Optional

import spacy
from allennlp.common.checks import ConfigurationError
from allennlp.common.file_utils import cached_path
from allennlp.data import DatasetReader, Instance, Token, TokenIndexer, Tokenizer
from allennlp.data.fields import TextField
from allennlp.data.token_indexers import ELMoTokenCharactersIndexer, SingleIdTokenIndexer
from allennlp.data.token_indexers.elmo_indexer import ELMoCharacterMapper

from allennlp_multilang_elmo.common.text_files import numbered_lines

BOS, EOS = ELMoCharacterMapper.bos_token, ELMoCharacterMapper.eos_token


@DatasetReader.register("bilm_text")
class BilmTextDatasetReader(DatasetReader):
    """
    Raw text for training an ELMo biLM (`elmo_bilm_language_model`): one sentence (or verse) per
    line, or one column of a tab-separated file, tokenised, each sentence between `<S>` and `</S>`
    (which the `elmo_characters` indexer turns into ELMo's sentence-boundary characters).

    Like bilm-tf, training reads the corpus as `num_streams` parallel token streams, one per row of
    the batch, and the biLM carries each row's LSTM state to the same row of the next batch. The
    corpus is cut into `num_streams` contiguous parts (their lengths differ by at most one
    sentence); instance `k * num_streams + r` is sentence `k` of part `r`. Read with a data loader
    whose `batch_size` is `num_streams` and that does not shuffle, batch `k` holds sentence `k` of
    every part, so each row continues its own text. What differs from bilm-tf: a row holds one whole
    sentence (padded to the batch's longest) instead of a fixed window of 20 tokens cut across
    sentences, so back-propagation is truncated at sentence ends rather than every 20 tokens; the
    forward and backward LSTMs read the same sentences (bilm-tf fed the backward LM a separately
    shuffled stream of reversed sentences), so the backward LSTM starts each sentence from its state
    after the previous sentence, as AllenNLP's `Elmo` runs it; and the order is the corpus order
    in every epoch (bilm-tf shuffled sentences when it loaded a shard). The whole corpus is held in
    memory; read it without data loader workers.

    Registered as a `DatasetReader` with name "bilm_text".

    # Parameters

    num_streams : `int`, optional (default = `64`)
        The number of parallel streams: the data loader's `batch_size`.
    column : `int`, optional (default = `None`)
        Read this tab-separated column (0-based) of every line; `None` reads whole lines.
    language : `str`, optional (default = `"xx"`)
        Without `tokenizer`, text is split by spaCy's rule-based tokenizer for this language
        (`spacy.blank(language)`, no model download; `"xx"`: language-neutral rules), as the
        parser's predictor splits raw sentences.
    tokenizer : `Tokenizer`, optional (default = `None`)
        Any AllenNLP tokenizer instead.
    token_indexers : `Dict[str, TokenIndexer]`, optional
        Default: `{"elmo": elmo_characters, "tokens": single_id}` (characters in, word ids as
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
        super().__init__(**kwargs)
        for name, value, minimum in (
            ("num_streams", num_streams, 1),
            ("max_sentence_length", max_sentence_length, 1),
            ("column", column if column is not None else 0, 0),
        ):
            if not isinstance(value, int) or value < minimum:
                raise ConfigurationError(f"{name} must be an integer of at least {minimum}")
        self._num_streams = num_streams
        self._column = column
        self._tokenizer = tokenizer
        self._spacy = None if tokenizer is not None else spacy.blank(language)
        self._token_indexers = token_indexers or {
            "elmo": ELMoTokenCharactersIndexer(),
            "tokens": SingleIdTokenIndexer(),
        }
        self._max_sentence_length = max_sentence_length

    def _texts(self, path: str, file_path: str) -> Iterable[str]:
        for line_number, line in numbered_lines(path):
            if self._column is None:
                yield line
                continue
            fields = line.split("\t")
            if len(fields) <= self._column:
                if not line.strip():
                    continue
                raise ConfigurationError(
                    f"{file_path}, line {line_number}: no column {self._column} (0-based; the "
                    f"line has {len(fields)} tab-separated columns)"
                )
            yield fields[self._column]

    def _tokenize(self, texts: Iterable[str]) -> Iterable[List[str]]:
        if self._tokenizer is not None:
            for text in texts:
                yield [str(token.text) for token in self._tokenizer.tokenize(text)]
        else:
            tokenizer = self._spacy.tokenizer  # type: ignore[union-attr]
            for document in tokenizer.pipe(texts, batch_size=1000):  # type: ignore[union-attr]
                yield [token.text for token in document if not token.is_space]

    def read_sentences(self, file_path: str) -> List[List[str]]:
        """
        The tokenised sentences of `file_path` in corpus order, long ones cut into pieces; blank
        lines are skipped. A file without a sentence, a line without the column and text that is
        not UTF-8 raise a `ConfigurationError` naming the file (and line).
        """
        try:
            path = cached_path(file_path)
        except (FileNotFoundError, ValueError) as error:
            raise ConfigurationError(f"Cannot read the corpus {file_path!r}: {error}") from error
        try:
            sentences = [
                words[start : start + self._max_sentence_length]
                for words in self._tokenize(self._texts(path, file_path))
                for start in range(0, len(words), self._max_sentence_length)
            ]
        except ValueError as error:  # not UTF-8, with the file and line
            raise ConfigurationError(str(error)) from error
        if not sentences:
            where = f"column {self._column} of " if self._column is not None else ""
            raise ConfigurationError(
                f"The corpus {file_path!r} is empty: {where}its lines hold no tokens"
            )
        return sentences

    def _read(self, file_path: str) -> Iterable[Instance]:
        sentences = self.read_sentences(file_path)
        streams = min(self._num_streams, len(sentences))
        size, longer = divmod(len(sentences), streams)
        # Part r starts at r * size + min(r, longer); the first `longer` parts hold one more.
        starts = [r * size + min(r, longer) for r in range(streams)]
        for k in range(size + 1):
            for r in range(streams if k < size else longer):
                yield self.text_to_instance(sentences[starts[r] + k])

    def text_to_instance(self, words: List[str]) -> Instance:
        """One sentence, as `tokens`: `<S>`, the words, `</S>`."""
        tokens = [Token(BOS)] + [Token(word) for word in words] + [Token(EOS)]
        return Instance({"tokens": TextField(tokens)})

    def apply_token_indexers(self, instance: Instance) -> None:
        instance.fields["tokens"].token_indexers = self._token_indexers  # type: ignore
