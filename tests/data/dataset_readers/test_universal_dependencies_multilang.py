import logging
import re
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import torch.distributed
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import Instance, Vocabulary
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.data.dataset_readers import DatasetReader
from allennlp.data.token_indexers import ELMoTokenCharactersIndexer, SingleIdTokenIndexer

from allennlp_multilang_elmo.data.dataset_readers import (
    universal_dependencies_multilang as reader_module,
)
from allennlp_multilang_elmo.data.dataset_readers.universal_dependencies_multilang import (
    UniversalDependenciesMultiLangDatasetReader,
)

DATA = Path(__file__).resolve().parents[3] / "data" / "ud-pud"
DEV = str(DATA / "*_pud-ud-dev.conllu")
LANGUAGES = ["de", "en", "es", "fr", "it"]
DEV_SENTENCES = 84
# Syntactic words of the dev files, from data/ud-pud/README.md (multiword tokens not counted).
DEV_WORDS = {"de": 1817, "en": 1778, "es": 1951, "fr": 2104, "it": 2005}


def sentence(instance: Instance) -> Tuple[str, Tuple[str, ...]]:
    metadata = instance["metadata"]
    return metadata["lang"], tuple(metadata["words"])


def sentences(instances) -> List[Tuple[str, Tuple[str, ...]]]:
    return [sentence(instance) for instance in instances]


def by_words(instances, first_words: str) -> Instance:
    (found,) = [i for i in instances if " ".join(i["metadata"]["words"]).startswith(first_words)]
    return found


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def conll_line(word_id, form, head, deprel, upos="NOUN") -> str:
    return "\t".join([str(word_id), form, form, upos, "_", "_", str(head), deprel, "_", "_"])


# A two-word sentence in the 10-column layout shared by CoNLL-U and the old UDT CoNLL-X files.
TINY = "\n".join([conll_line(1, "Hello", 2, "amod"), conll_line(2, "world", 0, "root")]) + "\n\n"


class TestReadingShippedData:
    def test_known_french_sentence_skips_multiword_tokens(self):
        reader = UniversalDependenciesMultiLangDatasetReader()
        instances = list(reader.read(str(DATA / "fr_pud-ud-dev.conllu")))
        assert len(instances) == DEV_SENTENCES

        # `au` (7-8) is split into `à le`; the range line itself is not a word.
        instance = by_words(instances, "Les sœurs religieuses")
        words = "Les sœurs religieuses déplacées furent installées à le cloître d’ Eibingen ."
        assert [t.text for t in instance["words"].tokens] == words.split()
        assert instance["pos_tags"].labels == (
            "DET NOUN ADJ VERB AUX VERB ADP DET NOUN ADP PROPN PUNCT".split()
        )
        assert instance["head_tags"].labels == (
            "det nsubj:pass amod acl aux:pass root case det obl case nmod punct".split()
        )
        assert instance["head_indices"].labels == [2, 6, 2, 2, 6, 0, 9, 9, 6, 11, 9, 6]
        assert instance["pos_tags"]._label_namespace == "pos"
        assert instance["head_tags"]._label_namespace == "head_tags"
        assert instance["head_indices"]._label_namespace == "head_index_tags"
        assert instance["metadata"].metadata == {
            "words": words.split(),
            "pos": instance["pos_tags"].labels,
            "lang": "fr",
        }

    def test_language_specific_pos_keeps_empty_tags(self):
        reader = UniversalDependenciesMultiLangDatasetReader(use_language_specific_pos=True)
        instance = by_words(reader.read(str(DATA / "fr_pud-ud-dev.conllu")), "Les sœurs")
        # French PUD gives no XPOS to the `le` of `au`.
        assert instance["pos_tags"].labels == "DT NN JJ VBN VBC VBN INDT _ NN IN NNP .".split()

    def test_english_empty_nodes_are_skipped(self):
        reader = UniversalDependenciesMultiLangDatasetReader()
        instance = by_words(reader.read(str(DATA / "en_pud-ud-test.conllu")), "First one of")
        # `7.1 started` (an elided verb of the enhanced graph) is not a word.
        assert instance["metadata"]["words"] == (
            "First one of the Yazidi women started crying , then one of her friends .".split()
        )
        assert instance["head_indices"].labels[6:11] == [0, 7, 11, 11, 7]

    def test_all_languages_and_words_multiword_tokens_excluded(self):
        reader = UniversalDependenciesMultiLangDatasetReader()
        instances = list(reader.read(DEV))
        # Files in sorted order, each read once.
        languages = [instance["metadata"]["lang"] for instance in instances]
        assert languages == [lang for lang in LANGUAGES for _ in range(DEV_SENTENCES)]
        words = Counter()
        for instance in instances:
            words[instance["metadata"]["lang"]] += len(instance["words"])
        assert dict(words) == DEV_WORDS

    def test_text_to_instance_leaves_indexers_to_apply_token_indexers(self):
        reader = UniversalDependenciesMultiLangDatasetReader()
        instance = reader.text_to_instance("es", ["Hola", "mundo"], ["INTJ", "NOUN"])
        assert instance["words"]._token_indexers is None
        assert "head_tags" not in instance.fields and "head_indices" not in instance.fields
        assert instance["metadata"]["lang"] == "es"
        reader.apply_token_indexers(instance)
        assert isinstance(instance["words"].token_indexers["tokens"], SingleIdTokenIndexer)


class LanguageAwareIndexer(SingleIdTokenIndexer):
    """Stands in for `elmo_characters_multilang`: an indexer that can be bound to a language."""

    language = None

    def for_language(self, language: str) -> "LanguageAwareIndexer":
        bound = LanguageAwareIndexer(namespace=self.namespace)
        bound.language = language
        return bound


class TestTokenIndexers:
    def test_language_aware_indexers_are_bound_per_language(self):
        plain = SingleIdTokenIndexer()
        aware = LanguageAwareIndexer()
        reader = UniversalDependenciesMultiLangDatasetReader(
            token_indexers={"tokens": plain, "aware": aware}
        )
        german = reader.text_to_instance("de", ["Hallo"], ["INTJ"])
        german_again = reader.text_to_instance("de", ["Welt"], ["NOUN"])
        italian = reader.text_to_instance("it", ["Ciao"], ["INTJ"])
        for instance in (german, german_again, italian):
            reader.apply_token_indexers(instance)

        assert german["words"].token_indexers["aware"].language == "de"
        assert italian["words"].token_indexers["aware"].language == "it"
        assert aware.language is None  # the configured indexer itself is never changed
        # Bound once per language, and indexers without `for_language` are used as they are.
        assert (
            german_again["words"].token_indexers["aware"] is german["words"].token_indexers["aware"]
        )
        assert italian["words"].token_indexers["tokens"] is plain

    def test_stock_indexers_index_read_instances(self):
        reader = UniversalDependenciesMultiLangDatasetReader(
            token_indexers={"tokens": SingleIdTokenIndexer(), "elmo": ELMoTokenCharactersIndexer()}
        )
        instances = list(reader.read(str(DATA / "de_pud-ud-dev.conllu")))
        vocab = Vocabulary.from_instances(instances)
        assert "nsubj" in vocab.get_token_to_index_vocabulary("head_tags")
        instance = instances[0]
        instance.index_fields(vocab)
        tensors = instance.as_tensor_dict()
        num_words = len(instance["words"])
        assert tensors["words"]["tokens"]["tokens"].shape == (num_words,)
        assert tensors["words"]["elmo"]["elmo_tokens"].shape == (num_words, 50)
        assert tensors["head_indices"].tolist() == instance["head_indices"].labels


class TestFilesAndLanguages:
    def test_both_naming_styles_and_recursive_glob(self, tmp_path):
        write(tmp_path / "std" / "pt-br" / "pt-br-universal-dev.conll", TINY)
        write(tmp_path / "std" / "en" / "en-universal-dev.conll", TINY)
        write(tmp_path / "ud" / "UD_German-GSD" / "de_gsd-ud-dev.conllu", TINY)
        write(tmp_path / "sv-universal-dev.conll", TINY)
        reader = UniversalDependenciesMultiLangDatasetReader()

        # `**` goes down any number of folders (the original's did not), including none.
        conll = [i["metadata"]["lang"] for i in reader.read(str(tmp_path / "**" / "*.conll"))]
        assert conll == ["en", "pt", "sv"]  # sorted paths: std/en/..., std/pt-br/..., sv-...
        everything = [i["metadata"]["lang"] for i in reader.read(str(tmp_path / "**" / "*-dev.*"))]
        assert sorted(everything) == ["de", "en", "pt", "sv"]

    def test_file_languages_override_names(self, tmp_path):
        write(tmp_path / "pt-br-universal-dev.conll", TINY)
        write(tmp_path / "2019_treebank.conllu", TINY)
        reader = UniversalDependenciesMultiLangDatasetReader(
            file_languages={"pt-br-*": "pt_br", "2019_*": "en", "*.conllu": "never"}
        )
        languages = [i["metadata"]["lang"] for i in reader.read(str(tmp_path / "*"))]
        assert languages == ["en", "pt_br"]  # the first matching pattern wins

    def test_name_without_language_asks_for_file_languages(self, tmp_path):
        path = write(tmp_path / "2019_treebank.conllu", TINY)
        reader = UniversalDependenciesMultiLangDatasetReader()
        with pytest.raises(
            ConfigurationError, match='2019_treebank.conllu.*file_languages, e.g. {"2019_treebank'
        ):
            list(reader.read(path))

    def test_listed_language_without_a_file_is_an_error_that_says_how(self, tmp_path):
        write(tmp_path / "en_ewt-ud-train.conllu", TINY)
        write(tmp_path / "spanish-train.conll", TINY)
        pattern = str(tmp_path / "*")
        reader = UniversalDependenciesMultiLangDatasetReader(languages=["en", "es"])
        with pytest.raises(ConfigurationError) as error:
            list(reader.read(pattern))
        message = str(error.value)
        assert "No treebank for languages ['es']" in message and pattern in message
        assert "spanish-train.conll (spanish)" in message
        assert '"spanish-*": "es"' in message and "allow_missing_languages" in message

        # Given its language explicitly, by base name or by path, the file is read.
        for file_pattern in ("spanish-*", f"{tmp_path}/span*"):
            mapped = UniversalDependenciesMultiLangDatasetReader(
                languages=["en", "es"], file_languages={file_pattern: "es"}
            )
            assert [i["metadata"]["lang"] for i in mapped.read(pattern)] == ["en", "es"]

    def test_missing_languages_allowed_explicitly(self, caplog):
        reader = UniversalDependenciesMultiLangDatasetReader(
            languages=["en", "pt"], allow_missing_languages=True
        )
        with caplog.at_level(logging.WARNING):
            languages = Counter(i["metadata"]["lang"] for i in reader.read(DEV))
        assert languages == {"en": DEV_SENTENCES}
        assert f"No files for languages ['pt'] in {DEV}" in caplog.text

    def test_languages_filter(self):
        reader = UniversalDependenciesMultiLangDatasetReader(languages=["it", "de"])
        languages = Counter(i["metadata"]["lang"] for i in reader.read(DEV))
        assert languages == {"de": DEV_SENTENCES, "it": DEV_SENTENCES}

    def test_nothing_left_to_read(self, tmp_path):
        reader = UniversalDependenciesMultiLangDatasetReader(languages=["sv"])
        with pytest.raises(ConfigurationError) as error:
            list(reader.read(DEV))
        message = str(error.value)
        assert DEV in message and "languages=['sv']" in message
        assert "en_pud-ud-dev.conllu (en)" in message and "it_pud-ud-dev.conllu (it)" in message

        with pytest.raises(ConfigurationError, match="files found: none"):
            list(UniversalDependenciesMultiLangDatasetReader().read(str(tmp_path / "*.conllu")))

    def test_plain_path_goes_through_cached_path(self, tmp_path, monkeypatch):
        reader = UniversalDependenciesMultiLangDatasetReader()
        with pytest.raises(FileNotFoundError):
            list(reader.read(str(tmp_path / "en_missing-ud-dev.conllu")))

        url = "https://example.org/treebanks/en_ewt-ud-dev.conllu"
        downloads = {url: write(tmp_path / "cache" / "3f2a9c", TINY)}
        monkeypatch.setattr(reader_module, "cached_path", downloads.__getitem__)
        # The language comes from the name given, not from the cache file's name.
        assert [i["metadata"]["lang"] for i in reader.read(url)] == ["en"]

    def test_from_params(self):
        reader = DatasetReader.from_params(
            Params(
                {
                    "type": "universal_dependencies_multilang",
                    "languages": ["en", "fr"],
                    "file_languages": {"*_pud-*": "xx"},
                    "allow_missing_languages": True,
                    "allow_invalid_trees": True,
                    "instances_per_language": 5,
                    "seed": 3,
                    "use_language_specific_pos": True,
                    "token_indexers": {"elmo": {"type": "elmo_characters"}},
                    "max_instances": 7,
                }
            )
        )
        assert isinstance(reader, UniversalDependenciesMultiLangDatasetReader)
        assert reader.use_language_specific_pos and reader.max_instances == 7
        assert (reader.languages, reader.instances_per_language, reader.seed) == (
            ["en", "fr"],
            5,
            3,
        )
        assert reader.file_languages == {"*_pud-*": "xx"}
        assert reader.allow_missing_languages and reader.allow_invalid_trees
        with pytest.raises(ConfigurationError, match="instances_per_language"):
            UniversalDependenciesMultiLangDatasetReader(instances_per_language=0)


def sentence_lines(*words: Tuple) -> str:
    return "\n".join(conll_line(*word) for word in words) + "\n"


GOOD = "# sent_id = 1\n" + sentence_lines((1, "Good", 2, "amod"), (2, "start", 0, "root")) + "\n"


@pytest.mark.parametrize(
    "broken_line, problem",
    [
        ("2\tword\tword\tNOUN\t_\t_\t0\troot\t_", "expected 10 tab-separated columns, found 9"),
        ("2\tword\tword\tNOUN\t_\t_\t0\troot\t_\t_\textra", "found 11"),
        ("2 word word NOUN _ _ 0 root _ _", "found 1"),
        (conll_line(2, "word", "x", "root"), "head"),
        (conll_line(2, "word", "_", "root"), "word 2 has no head or relation"),
        (conll_line(2, "word", 0, "_"), "word 2 has no head or relation"),
        (conll_line(2, "word", 7, "root"), "word 2 has head 7, outside the sentence's 3 words"),
        (conll_line("two", "word", 0, "root"), "'two' is not a valid ID"),
        (conll_line(4, "word", 0, "root"), "word ids must run 1, 2, 3, ...; found 4 after 1"),
        (conll_line(2, "", 0, "root"), "word 2 has an empty FORM"),
    ],
)
def test_malformed_lines_are_reported_with_file_and_line(tmp_path, broken_line, problem):
    # The broken line is line 7: GOOD and its blank line take lines 1-4, then come a comment (5)
    # and a first word (6).
    text = (
        GOOD
        + "# sent_id = 2\n"
        + conll_line(1, "A", 2, "det")
        + "\n"
        + broken_line
        + "\n"
        + conll_line(3, "end", 2, "punct")
        + "\n"
    )
    path = write(tmp_path / "en_bad-ud-train.conllu", text)
    reader = UniversalDependenciesMultiLangDatasetReader()
    with pytest.raises(ValueError) as error:
        list(reader.read(path))
    assert str(error.value).startswith(f"{path}, line 7: ")
    assert problem in str(error.value)


def test_sentence_without_words_is_reported(tmp_path):
    text = GOOD + "\n\n# sent_id = 2\n# text = nothing follows\n"
    path = write(tmp_path / "en_bad-ud-train.conllu", text)
    with pytest.raises(ValueError, match=re.escape(f"{path}, line 7: the sentence has no words")):
        list(UniversalDependenciesMultiLangDatasetReader().read(path))


# A second sentence of three words on lines 5 (its comment) to 8, after GOOD.
@pytest.mark.parametrize(
    "heads, line, problem",
    [
        ((0, 2, 2), 7, "word 2 is its own head"),
        ((2, 3, 1), 5, "the sentence has no root (no word has head 0)"),
        ((0, 1, 0), 8, "the sentence has 2 roots (words 1, 3 have head 0)"),
        ((0, 3, 2), 7, "the heads of words 2 -> 3 -> 2 form a cycle"),
        ((2, 3, 1, 0), 6, "the heads of words 1 -> 2 -> 3 -> 1 form a cycle"),
    ],
)
def test_sentences_that_are_not_trees_are_reported(tmp_path, heads, line, problem):
    words = [(i, f"w{i}", head, "root" if head == 0 else "dep") for i, head in enumerate(heads, 1)]
    text = GOOD + "# sent_id = 2\n" + sentence_lines(*words)
    path = write(tmp_path / "en_bad-ud-train.conllu", text)
    with pytest.raises(ValueError) as error:
        list(UniversalDependenciesMultiLangDatasetReader().read(path))
    assert str(error.value) == (
        f"{path}, line {line}: {problem} (set allow_invalid_trees to read such sentences)"
    )


def test_invalid_trees_allowed_explicitly_are_read_and_counted(tmp_path, caplog):
    cycle = "# sent_id = 2\n" + sentence_lines(
        (1, "a", 0, "root"), (2, "b", 3, "x"), (3, "c", 2, "x")
    )
    roots = "# sent_id = 3\n" + sentence_lines((1, "d", 0, "root"), (2, "e", 0, "root"))
    first = write(tmp_path / "en_a-ud-train.conllu", GOOD + cycle + "\n" + roots)
    second = write(tmp_path / "en_b-ud-train.conllu", roots + "\n" + GOOD)
    reader = UniversalDependenciesMultiLangDatasetReader(allow_invalid_trees=True)
    with caplog.at_level(logging.WARNING):
        instances = list(reader.read(str(tmp_path / "*.conllu")))
    # Read as they are.
    assert [i["head_indices"].labels for i in instances] == [
        [2, 0],
        [0, 3, 2],
        [0, 0],
        [0, 0],
        [2, 0],
    ]
    (warning,) = [r.getMessage() for r in caplog.records if "allow_invalid_trees" in r.getMessage()]
    assert warning.startswith("allow_invalid_trees: read 3 sentences that are not trees: ")
    assert f"{first}, line 7: the heads of words 2 -> 3 -> 2 form a cycle (and 1 more in" in warning
    assert warning.endswith(
        f"; {second}, line 3: the sentence has 2 roots (words 1, 2 have head 0)"
    )

    # Other problems stay errors.
    empty = write(tmp_path / "en_c-ud-train.conllu", sentence_lines((1, " ", 0, "root")))
    with pytest.raises(ValueError, match=re.escape(f"{empty}, line 1: word 1 has an empty FORM")):
        list(reader.read(empty))


def test_sentence_with_its_text_withheld_is_reported(tmp_path):
    withheld = "# sent_id = 2\n" + sentence_lines((1, "_", 2, "nsubj"), (2, "_", 0, "root"))
    path = write(tmp_path / "en_bad-ud-train.conllu", GOOD + withheld)
    with pytest.raises(
        ValueError, match=re.escape(f"{path}, line 5: every FORM of the sentence is '_'")
    ):
        list(UniversalDependenciesMultiLangDatasetReader().read(path))
    # One underscore among other words is a word.
    underscore = "# sent_id = 2\n" + sentence_lines((1, "_", 2, "punct"), (2, "x", 0, "root"))
    path = write(tmp_path / "en_ok-ud-train.conllu", underscore)
    assert list(UniversalDependenciesMultiLangDatasetReader().read(path))[0]["metadata"][
        "words"
    ] == ["_", "x"]


def balanced_reader(instances_per_language: int, seed: int = 13, **kwargs):
    return UniversalDependenciesMultiLangDatasetReader(
        instances_per_language=instances_per_language, seed=seed, **kwargs
    )


def per_language(instances) -> Dict[str, List[Tuple[str, ...]]]:
    result: Dict[str, List[Tuple[str, ...]]] = {lang: [] for lang in LANGUAGES}
    for lang, words in sentences(instances):
        result[lang].append(words)
    return result


@pytest.fixture(scope="module")
def dev_sentences() -> Dict[str, List[Tuple[str, ...]]]:
    found = per_language(UniversalDependenciesMultiLangDatasetReader().read(DEV))
    for words in found.values():
        assert len(set(words)) == len(words) == DEV_SENTENCES  # no duplicates, so sets can compare
    return found


class TestLanguageBalancing:
    def test_up_sampling_interleaves_languages_and_cycles(self, dev_sentences):
        instances = list(balanced_reader(100).read(DEV))
        assert len(instances) == 500
        assert [i["metadata"]["lang"] for i in instances] == LANGUAGES * 100
        for lang, words in per_language(instances).items():
            # One full visit of the 84 sentences in a random order, then a fresh order.
            assert set(words[:DEV_SENTENCES]) == set(dev_sentences[lang])
            assert words[:DEV_SENTENCES] != dev_sentences[lang]
            assert len(set(words[DEV_SENTENCES:])) == 100 - DEV_SENTENCES

    def test_down_sampling_continues_across_passes(self, dev_sentences):
        reader = balanced_reader(30)
        passes = [per_language(reader.read(DEV)) for _ in range(3)]
        for lang in LANGUAGES:
            visited = passes[0][lang] + passes[1][lang] + passes[2][lang]
            assert all(len(p[lang]) == 30 for p in passes)
            # Passes 0-2 visit every sentence once before any sentence comes back.
            assert set(visited[:DEV_SENTENCES]) == set(dev_sentences[lang])

    def test_same_seed_same_stream_other_seed_or_pass_differs(self):
        first, second = balanced_reader(20), balanced_reader(20)
        first_passes = [sentences(first.read(DEV)) for _ in range(2)]
        assert first_passes == [sentences(second.read(DEV)) for _ in range(2)]
        assert first_passes[0] != first_passes[1]
        assert sentences(balanced_reader(20, seed=14).read(DEV)) != first_passes[0]

        # A pass depends only on (seed, pass index).
        jumped = balanced_reader(20)
        jumped.set_pass(1)
        assert sentences(jumped.read(DEV)) == first_passes[1]

    def test_languages_filter_and_max_instances(self):
        reader = balanced_reader(10, languages=["fr", "en"], max_instances=5)
        assert [i["metadata"]["lang"] for i in reader.read(DEV)] == ["en", "fr", "en", "fr", "en"]


def loader_sentences(reader, num_workers: int, **kwargs) -> List[Tuple[str, Tuple[str, ...]]]:
    loader = MultiProcessDataLoader(
        reader, DEV, batch_size=8, num_workers=num_workers, quiet=True, **kwargs
    )
    instances = list(loader.iter_instances())
    for instance in instances:
        # apply_token_indexers ran in the main process, binding the instance's language.
        indexer = instance["words"].token_indexers["aware"]
        assert indexer.language == instance["metadata"]["lang"]
    return sentences(instances)


class TestWorkersAndDistributed:
    def test_workers_share_exactly_the_single_process_stream(self):
        indexers = {"aware": LanguageAwareIndexer()}
        for make in (
            lambda: UniversalDependenciesMultiLangDatasetReader(token_indexers=indexers),
            lambda: balanced_reader(30, token_indexers=indexers),
        ):
            single = loader_sentences(make(), num_workers=0)
            parallel = loader_sentences(make(), num_workers=2)
            assert Counter(parallel) == Counter(single)

    def test_workers_follow_the_pass_set_in_the_main_process(self):
        def expected(pass_index: int):
            reader = balanced_reader(12)
            reader.set_pass(pass_index)
            return Counter(sentences(reader.read(DEV)))

        reader = balanced_reader(12, token_indexers={"aware": LanguageAwareIndexer()})
        loader = MultiProcessDataLoader(
            reader, DEV, batch_size=6, num_workers=2, max_instances_in_memory=30, quiet=True
        )
        # Workers read copies of the main process's reader, whose counter never moves ...
        assert Counter(sentences(loader.iter_instances())) == expected(0)
        assert Counter(sentences(loader.iter_instances())) == expected(0)
        # ... unless the main process sets it.
        reader.set_pass(3)
        assert Counter(sentences(loader.iter_instances())) == expected(3)

    @pytest.mark.parametrize("instances_per_language", [None, 30])
    def test_distributed_ranks_read_disjoint_shares(self, monkeypatch, instances_per_language):
        single = sentences(balanced_reader(instances_per_language).read(DEV))
        shares = []
        for rank in range(2):
            # What `torch.distributed` reports inside the rank's process.
            monkeypatch.setattr("allennlp.common.util.is_distributed", lambda: True)
            monkeypatch.setattr(torch.distributed, "get_rank", lambda *args, **kwargs: rank)
            monkeypatch.setattr(torch.distributed, "get_world_size", lambda *args, **kwargs: 2)
            reader = balanced_reader(instances_per_language)
            assert reader.get_distributed_info().global_rank == rank
            shares.append(sentences(reader.read(DEV)))
        assert shares[0] == single[0::2] and shares[1] == single[1::2]

    def test_distributed_ranks_share_max_instances(self, monkeypatch):
        single = sentences(balanced_reader(30, max_instances=9).read(DEV))
        assert len(single) == 9
        shares = []
        for rank in range(2):
            monkeypatch.setattr("allennlp.common.util.is_distributed", lambda: True)
            monkeypatch.setattr(torch.distributed, "get_rank", lambda *args, **kwargs: rank)
            monkeypatch.setattr(torch.distributed, "get_world_size", lambda *args, **kwargs: 2)
            shares.append(sentences(balanced_reader(30, max_instances=9).read(DEV)))
        assert Counter(shares[0] + shares[1]) == Counter(single)


def test_lazy_loader_draws_a_new_balanced_pass_every_epoch():
    loader = MultiProcessDataLoader(
        balanced_reader(10), DEV, batch_size=5, max_instances_in_memory=25, quiet=True
    )
    # A vocabulary from a sample could miss relations of later samples (`head_tags` has no OOV
    # entry), so it comes from a full pass.
    loader.index_with(
        Vocabulary.from_instances(UniversalDependenciesMultiLangDatasetReader().read(DEV))
    )
    epochs = []
    for _ in range(2):
        batches = list(loader)
        # Five consecutive instances hold one sentence of each language.
        assert all(sorted(m["lang"] for m in batch["metadata"]) == LANGUAGES for batch in batches)
        epochs.append(
            [(m["lang"], tuple(m["words"])) for batch in batches for m in batch["metadata"]]
        )
    for pass_index, epoch in enumerate(epochs):
        expected = balanced_reader(10)
        expected.set_pass(pass_index)
        assert epoch == sentences(expected.read(DEV))


def test_eager_loader_keeps_its_first_pass():
    # Without max_instances_in_memory the loader reads once and replays: no new sample per epoch.
    loader = MultiProcessDataLoader(balanced_reader(10), DEV, batch_size=5, quiet=True)
    loader.index_with(
        Vocabulary.from_instances(UniversalDependenciesMultiLangDatasetReader().read(DEV))
    )
    epochs = [[tuple(m["words"]) for batch in loader for m in batch["metadata"]] for _ in range(2)]
    assert (
        epochs[0] == epochs[1] == [words for _, words in sentences(balanced_reader(10).read(DEV))]
    )
