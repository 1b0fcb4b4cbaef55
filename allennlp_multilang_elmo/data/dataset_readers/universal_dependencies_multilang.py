import fnmatch
import glob
import logging
import os
import random
import re
from collections import defaultdict
from contextlib import ExitStack
from typing import BinaryIO, Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple, cast

from allennlp.common.checks import ConfigurationError
from allennlp.common.file_utils import cached_path
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.fields import Field, MetadataField, SequenceLabelField, TextField
from allennlp.data.instance import Instance
from allennlp.data.token_indexers import SingleIdTokenIndexer, TokenIndexer
from allennlp.data.tokenizers import Token, Tokenizer

from allennlp_multilang_elmo.common.conllu import (
    SentenceSpan,
    parse_sentence,
    read_span,
    scan_sentences,
    tree_problem,
)

logger = logging.getLogger(__name__)

# `xx_tb-ud-train.conllu` (UD) and `xx-universal-train.conll` (UDT): the letters before the first
# `_`, `-` or `.`.
_LANGUAGE_IN_NAME = re.compile(r"([A-Za-z]+)(?:[_.-]|$)")


class _Treebank(NamedTuple):
    name: str
    """As matched or given (path or URL); its base name gives the language."""
    path: str
    """The local file (`cached_path` of a URL)."""
    language: str


@DatasetReader.register("universal_dependencies_multilang")
class UniversalDependenciesMultiLangDatasetReader(DatasetReader):
    """
    Reads Universal Dependencies treebanks of several languages, in CoNLL-U (or the CoNLL-X of the
    old Universal Dependency Treebanks), into the instances of allennlp-models'
    `universal_dependencies` reader plus the language: `words`, `pos_tags` (namespace `pos`),
    `head_tags` (namespace `head_tags`), `head_indices` (namespace `head_index_tags`) and `metadata`
    with `words`, `pos` and `lang`, so the stock `biaffine_parser` trains on them. Multiword tokens
    and empty nodes are skipped.

    The `file_path` given to `read()` is a glob pattern (`**` recurses), a file, or a URL. Matching
    files are read in sorted order. A file's language is the leading letters of its name, up to the
    first `_`, `-` or `.` (`en_ewt-ud-train.conllu` and `en-universal-train.conll` are `en`,
    `pt-br-universal-dev.conll` is `pt`) unless `file_languages` says otherwise. With `languages`,
    files of other languages are skipped, and a listed language without any file is an error
    (unless `allow_missing_languages`) that lists the files found with their languages, so that a
    file named otherwise (`spanish-train.conll`) can be given its language in `file_languages`.

    Every sentence is checked as it is parsed; a problem raises a `ValueError` naming the file and
    line: a wrong number of columns, words not numbered 1, 2, 3, ..., a missing head or relation,
    a head outside the sentence, an empty FORM, and heads that do not form a tree (a word that is
    its own head, no root or several roots, a cycle). `allow_invalid_trees` lets sentences that
    fail only the tree checks through.

    Token indexers are attached in `apply_token_indexers`, not `text_to_instance`, so the reader
    works with `num_workers > 0`. An indexer that has a `for_language(lang)` method (such as
    `elmo_characters_multilang`) is replaced, for each instance, by `indexer.for_language(lang)`,
    which is how the instance's language reaches the embedder.

    # Language-balanced training

    With `instances_per_language = N`, each `read()` (one epoch, a "pass") yields exactly `N`
    instances of every language, interleaved one language at a time in sorted language order, so
    any chunk of the stream (e.g. of `max_instances_in_memory` instances) is balanced. A language's
    sentences (all its files pooled) are visited in a random order that is drawn afresh every time
    they have all been visited, so small treebanks are up-sampled and large ones down-sampled, and
    each pass continues where the previous one stopped. Pass `k` depends only on `seed` and `k`,
    and the reader counts its passes, starting at 0 (see `set_pass`).

    Without `instances_per_language`, every file is read once, in order: use this for validation
    and testing, e.g. with a separate `validation_dataset_reader`.

    Every process computes the same stream and keeps its share of it by position, so the workers
    of a `MultiProcessDataLoader` and the ranks of distributed training see disjoint shares whose
    union is exactly what a single process reads. Only the sentences a process keeps are parsed.

    Things to know when training with `instances_per_language`:

    - The data loader must re-read the data every epoch, which it only does with
      `max_instances_in_memory` set; otherwise it keeps its first pass for the whole training.
    - With `num_workers > 0` the loader reads in copies of the reader, made from the main
      process's reader when each epoch starts, and the main process never reads, so the pass
      counter does not advance by itself: every epoch would draw the same pass. The trainer
      callback `reader_pass_per_epoch` pins pass `k` to epoch `k` in the main process, which the
      copies inherit; it also keeps the passes right after `allennlp train --recover`. Use it
      whenever training with `instances_per_language`.
    - A vocabulary built from the training data sees a sample only, and `head_tags` has no
      out-of-vocabulary entry: build it from a full pass (a reader without
      `instances_per_language`, e.g. with `allennlp build-vocab`) so that no relation is missing.

    Registered as a `DatasetReader` with name "universal_dependencies_multilang".

    # Parameters

    token_indexers : `Dict[str, TokenIndexer]`, optional
        The token indexers of the `words` field (default = `{"tokens": SingleIdTokenIndexer()}`).
    use_language_specific_pos : `bool`, optional (default = `False`)
        Whether to use the language-specific POS tags (XPOS) instead of the universal ones (UPOS).
    tokenizer : `Tokenizer`, optional (default = `None`)
        As in `universal_dependencies`: if given, `text_to_instance` re-tokenizes the words with it,
        which must give the same number of tokens. Typically not needed.
    languages : `List[str]`, optional (default = `None`)
        Read only files of these languages; `None` reads all matched files. Every language listed
        must have a file among those matched, unless `allow_missing_languages`.
    file_languages : `Dict[str, str]`, optional (default = `None`)
        Maps file glob patterns to languages, for names the rule above does not fit, e.g.
        `{"spanish-*": "es", "*/UD_Portuguese-Bosque/*": "pt"}`. A pattern matches a file's base
        name or its whole path as matched or given (`*` also matches `/`). The first matching
        pattern wins over the name-derived language.
    allow_missing_languages : `bool`, optional (default = `False`)
        If `True`, a language of `languages` without any matched file is only logged as a warning
        (e.g. for a reader that `allennlp evaluate` uses on one language's file).
    allow_invalid_trees : `bool`, optional (default = `False`)
        If `True`, sentences whose heads do not form a tree (see above) are read as they are, for
        data that cannot be fixed; every read then logs a warning with how many such sentences it
        let through, per file, and the first problem. With data-loader workers or distributed
        training each process counts and logs the sentences it read. Other problems are still
        errors.
    instances_per_language : `int`, optional (default = `None`)
        If given, each read yields this many instances of every language (see above).
    seed : `int`, optional (default = `13`)
        Seeds the orders in which sentences are visited when `instances_per_language` is given.
    **kwargs
        Passed to `DatasetReader` (e.g. `max_instances`).
    """

    def __init__(
        self,
        token_indexers: Optional[Dict[str, TokenIndexer]] = None,
        use_language_specific_pos: bool = False,
        tokenizer: Optional[Tokenizer] = None,
        languages: Optional[List[str]] = None,
        file_languages: Optional[Dict[str, str]] = None,
        allow_missing_languages: bool = False,
        allow_invalid_trees: bool = False,
        instances_per_language: Optional[int] = None,
        seed: int = 13,
        **kwargs,
    ) -> None:
        super().__init__(
            manual_distributed_sharding=True, manual_multiprocess_sharding=True, **kwargs
        )
        if instances_per_language is not None and instances_per_language < 1:
            raise ConfigurationError(
                f"instances_per_language must be at least 1, not {instances_per_language}"
            )
        self._token_indexers = token_indexers or {"tokens": SingleIdTokenIndexer()}
        self.use_language_specific_pos = use_language_specific_pos
        self.tokenizer = tokenizer
        self.languages = languages
        self.file_languages = file_languages or {}
        self.allow_missing_languages = allow_missing_languages
        self.allow_invalid_trees = allow_invalid_trees
        self.instances_per_language = instances_per_language
        self.seed = seed
        self._next_pass = 0
        self._pinned_pass: Optional[int] = None
        self._indexers_by_language: Dict[str, Dict[str, TokenIndexer]] = {}

    def set_pass(self, pass_index: int) -> None:
        """
        Makes every read from now on draw pass `pass_index` of the language-balanced stream,
        until the next `set_pass` (the `reader_pass_per_epoch` trainer callback calls it with the
        epoch). Without it, reads count their passes. Without `instances_per_language` this has no
        effect.
        """
        self._pinned_pass = pass_index

    def _read(self, file_path) -> Iterator[Instance]:
        treebanks = self._find_treebanks(str(file_path))
        if self.instances_per_language is None:
            stream: Iterable[Tuple[str, SentenceSpan]] = (
                (treebank.language, span)
                for treebank in treebanks
                for span in scan_sentences(treebank.path, treebank.name)
            )
        else:
            if self._pinned_pass is not None:
                pass_index = self._pinned_pass
            else:
                pass_index = self._next_pass
                self._next_pass += 1
            stream = self._balanced_pass(treebanks, self.instances_per_language, pass_index)

        # Per file: how many sentences that are not trees were let through, and the first problem.
        invalid_trees: Dict[str, Tuple[int, str]] = {}
        with ExitStack() as stack:
            files: Dict[str, BinaryIO] = {}
            try:
                for language, span in self.shard_iterable(stream):
                    if span.path not in files:
                        files[span.path] = stack.enter_context(open(span.path, "rb"))
                    sentence = parse_sentence(
                        read_span(files[span.path], span), span, self.use_language_specific_pos
                    )
                    problem = tree_problem(sentence, span)
                    if problem is not None:
                        if not self.allow_invalid_trees:
                            raise ValueError(
                                f"{problem} (set allow_invalid_trees to read such sentences)"
                            )
                        count, first = invalid_trees.get(span.name, (0, problem))
                        invalid_trees[span.name] = (count + 1, first)
                    yield self.text_to_instance(
                        language, sentence.words, sentence.pos_tags, sentence.dependencies
                    )
            finally:
                # Also when the read stops early (`max_instances`, an error).
                if invalid_trees:
                    logger.warning(
                        "allow_invalid_trees: read %d sentences that are not trees: %s",
                        sum(count for count, _ in invalid_trees.values()),
                        "; ".join(
                            f"{first} (and {count - 1} more in the file)" if count > 1 else first
                            for count, first in invalid_trees.values()
                        ),
                    )

    def _find_treebanks(self, pattern: str) -> List[_Treebank]:
        if any(character in pattern for character in "*?["):
            names = sorted(
                path for path in glob.glob(pattern, recursive=True) if os.path.isfile(path)
            )
            found = [_Treebank(name, name, self.language_of(name)) for name in names]
        else:
            found = [_Treebank(pattern, cached_path(pattern), self.language_of(pattern))]

        treebanks = [
            treebank
            for treebank in found
            if self.languages is None or treebank.language in self.languages
        ]
        if not treebanks:
            found_description = ", ".join(f"{t.name} ({t.language})" for t in found) or "none"
            raise ConfigurationError(
                f"No treebank to read for {pattern!r} with languages={self.languages}; "
                f"files found: {found_description}. A file whose name does not start with its "
                f"language can be given one in file_languages"
            )
        if self.languages is not None:
            missing = sorted(set(self.languages) - {treebank.language for treebank in treebanks})
            if missing and self.allow_missing_languages:
                logger.warning("No files for languages %s in %s", missing, pattern)
            elif missing:
                others = ", ".join(
                    f"{t.name} ({t.language})" for t in found if t.language not in self.languages
                )
                raise ConfigurationError(
                    f"No treebank for languages {missing} in {pattern!r}; files of other "
                    f"languages found: {others or 'none'}. A file whose name does not start with "
                    f"its language can be given one in file_languages, e.g. "
                    f'{{"spanish-*": "{missing[0]}"}}; set allow_missing_languages to read '
                    f"without these languages"
                )
        return treebanks

    def language_of(self, name: str) -> str:
        """
        The language of the file `name` (a path or URL): the first matching pattern of
        `file_languages`, else the leading letters of its base name (see the class docstring).
        Raises `ConfigurationError` when the name tells none.
        """
        base_name = os.path.basename(name)
        for file_pattern, language in self.file_languages.items():
            if fnmatch.fnmatchcase(base_name, file_pattern) or fnmatch.fnmatchcase(
                name, file_pattern
            ):
                return language
        match = _LANGUAGE_IN_NAME.match(base_name)
        if match is None:
            raise ConfigurationError(
                f"Cannot tell the language of {name} from its name (expected e.g. "
                f"'en_ewt-ud-train.conllu'); give it in file_languages, e.g. "
                f'{{"{base_name}": "en"}}'
            )
        return match.group(1)

    def _balanced_pass(
        self, treebanks: List[_Treebank], per_language: int, pass_index: int
    ) -> Iterator[Tuple[str, SentenceSpan]]:
        pools: Dict[str, List[SentenceSpan]] = defaultdict(list)
        for treebank in treebanks:
            pools[treebank.language].extend(scan_sentences(treebank.path, treebank.name))
        languages = sorted(pools)
        for language in languages:
            if not pools[language]:
                names = ", ".join(t.name for t in treebanks if t.language == language)
                raise ConfigurationError(f"No sentences to sample for {language} in {names}")
        samples = {
            language: [
                pools[language][index]
                for index in self._visit_order(
                    language, len(pools[language]), per_language, pass_index
                )
            ]
            for language in languages
        }
        for position in range(per_language):
            for language in languages:
                yield language, samples[language][position]

    def _visit_order(
        self, language: str, pool_size: int, needed: int, pass_index: int
    ) -> List[int]:
        """
        The `needed` pool indices that pass `pass_index` visits: positions `[k N, (k + 1) N)` (`N`
        is `needed`) of an endless sequence of permutations of the pool, the `c`-th one seeded by
        `(seed, language, c)`.
        """
        cycle, skip = divmod(pass_index * needed, pool_size)
        order: List[int] = []
        while len(order) < needed:
            permutation = list(range(pool_size))
            # A string seed is hashed with SHA-512: the same in every process and Python run.
            random.Random(f"{self.seed}/{language}/{cycle}").shuffle(permutation)
            order.extend(permutation[skip:])
            cycle, skip = cycle + 1, 0
        return order[:needed]

    def text_to_instance(
        self,
        lang: str,
        words: List[str],
        upos_tags: List[str],
        dependencies: Optional[List[Tuple[str, int]]] = None,
    ) -> Instance:
        """
        # Parameters

        lang : `str`, required.
            The language of the sentence.
        words : `List[str]`, required.
            The words in the sentence to be encoded.
        upos_tags : `List[str]`, required.
            The POS tags of the words.
        dependencies : `List[Tuple[str, int]]`, optional (default = `None`)
            A `(head tag, head index)` tuple per word. Indices are 1-based; 0 is the root.

        # Returns

        An `Instance` with the fields described in the class docstring; the `words` field gets its
        token indexers in `apply_token_indexers`.
        """
        if self.tokenizer is not None:
            tokens = self.tokenizer.tokenize(" ".join(words))
        else:
            tokens = [Token(word) for word in words]
        text_field = TextField(tokens)
        fields: Dict[str, Field] = {
            "words": text_field,
            "pos_tags": SequenceLabelField(upos_tags, text_field, label_namespace="pos"),
        }
        if dependencies is not None:
            fields["head_tags"] = SequenceLabelField(
                [tag for tag, _ in dependencies], text_field, label_namespace="head_tags"
            )
            fields["head_indices"] = SequenceLabelField(
                [head for _, head in dependencies], text_field, label_namespace="head_index_tags"
            )
        fields["metadata"] = MetadataField({"words": words, "pos": upos_tags, "lang": lang})
        return Instance(fields)

    def apply_token_indexers(self, instance: Instance) -> None:
        language = cast(MetadataField, instance["metadata"])["lang"]
        cast(TextField, instance["words"]).token_indexers = self._indexers_for(language)

    def _indexers_for(self, language: str) -> Dict[str, TokenIndexer]:
        indexers = self._indexers_by_language.get(language)
        if indexers is None:
            indexers = {
                name: (
                    indexer.for_language(language) if hasattr(indexer, "for_language") else indexer
                )
                for name, indexer in self._token_indexers.items()
            }
            self._indexers_by_language[language] = indexers
        return indexers
