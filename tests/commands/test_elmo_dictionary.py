import pytest
from allennlp.common.checks import ConfigurationError
from helpers.cli import run_cli

from allennlp_multilang_elmo.alignment.dictionary import read_dictionary
from allennlp_multilang_elmo.alignment.freedict import encode_base64_number
from allennlp_multilang_elmo.commands.elmo_dictionary import DictionarySource, elmo_dictionary

# Each Spanish word co-occurs with its translation in every line where it occurs; "2024" is in both.
LINES = [
    "1\tel gato duerme 2024\tthe cat sleeps 2024",
    "2\tel perro duerme\tthe dog sleeps",
    "3\tel gato come 2024\tthe cat eats 2024",
    "4\tel perro come\tthe dog eats",
    "5\tun gato duerme\ta cat sleeps",
    "6\tun perro come 2024\ta dog eats 2024",
]


@pytest.fixture
def parallel(tmp_path):
    path = tmp_path / "parallel.tsv"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def test_cooccurrence_pairs_then_identical_strings(parallel, tmp_path):
    output = tmp_path / "es-en.txt"
    counts = elmo_dictionary(
        str(parallel), str(output), columns=(1, 2), min_count=2, identical_min_count=3
    )
    pairs = read_dictionary(str(output))
    assert {("gato", "cat"), ("perro", "dog"), ("duerme", "sleeps"), ("come", "eats")} <= set(pairs)
    assert ("el", "the") in pairs and ("un", "a") in pairs
    # "2024" pairs with itself by co-occurrence already, so it is no identical-string pair.
    assert ("2024", "2024") in pairs and pairs.count(("2024", "2024")) == 1
    assert counts == {"cooccurrence": len(pairs), "identical": 0}


def test_command_line(parallel, tmp_path, monkeypatch, capsys):
    output = tmp_path / "es-en.txt"
    run_cli(
        monkeypatch,
        "elmo-dictionary",
        str(parallel),
        "--output",
        str(output),
        "--columns",
        "1",
        "2",
        "--languages",
        "es",
        "en",
        "--min-count",
        "2",
    )
    assert "co-occurrence pairs and 0 identical strings" in capsys.readouterr().out
    assert ("gato", "cat") in read_dictionary(str(output))


@pytest.mark.parametrize(
    "content, message",
    [
        ("1\tel gato\n2\tel perro\tthe dog\n", r"parallel.tsv, line 1: no column 2"),
        ("", r"The corpus '.*parallel.tsv' is empty"),
        ("1\tel gato\tthe cat\n", r"no word pair occurs in 5 sentence pairs"),
    ],
)
def test_bad_input_names_the_file_and_writes_nothing(tmp_path, content, message):
    parallel = tmp_path / "parallel.tsv"
    parallel.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        elmo_dictionary(str(parallel), str(tmp_path / "out.txt"), columns=(1, 2))
    assert not (tmp_path / "out.txt").exists()


def write_dictd(folder, name, articles):
    """A FreeDict dictd dictionary, `name.index` and a plain `name.dict`: the index's path."""
    index_lines, data = [], b""
    for article in articles:
        headword = article.split(" ", 1)[0].lower()
        size = len(article.encode("utf-8"))
        index_lines.append(
            f"{headword}\t{encode_base64_number(len(data))}\t{encode_base64_number(size)}"
        )
        data += article.encode("utf-8")
    (folder / f"{name}.dict").write_bytes(data)
    index = folder / f"{name}.index"
    index.write_text("\n".join(index_lines) + "\n", encoding="utf-8")
    return str(index)


@pytest.fixture
def dictionaries(tmp_path):
    """An es-en FreeDict, an en-es FreeDict and MUSE files of both directions."""
    es_en = write_dictd(
        tmp_path,
        "freedict-spa-eng",
        ["gato /ˈɡato/ <n, masc>\n1. cat\n2. tomcat; jack (tool)\n", "perro /ˈpero/ <n>\ndog\n"],
    )
    en_es = write_dictd(tmp_path, "freedict-eng-spa", ["house /haʊs/ <n>\ncasa, hogar\n"])
    en_es_muse = tmp_path / "en-es.tsv"
    en_es_muse.write_text("cat\tgato\nhome\tcasa\n", encoding="utf-8")
    es_en_muse = tmp_path / "es-en.txt"
    es_en_muse.write_text("Casa Home\n", encoding="utf-8")
    return es_en, en_es, str(en_es_muse), str(es_en_muse)


def test_merge_of_parallel_freedict_and_muse_command_line(
    parallel, dictionaries, tmp_path, monkeypatch, capsys
):
    es_en, en_es, en_es_muse, es_en_muse = dictionaries
    output = tmp_path / "merged.txt"
    run_cli(
        monkeypatch,
        "elmo-dictionary",
        str(parallel),
        "--tokenized",
        "--columns",
        "1",
        "2",
        "--min-count",
        "2",
        "--freedict",
        es_en,
        "--muse-inverted",
        en_es_muse,
        "--freedict-inverted",
        en_es.replace(".index", ""),
        "--muse",
        es_en_muse,
        "--output",
        str(output),
    )
    pairs = read_dictionary(str(output))
    from_parallel = elmo_dictionary(
        str(parallel), str(tmp_path / "parallel-only.txt"), columns=(1, 2), min_count=2
    )
    parallel_pairs = read_dictionary(str(tmp_path / "parallel-only.txt"))
    assert ("gato", "cat") in parallel_pairs and ("perro", "dog") in parallel_pairs
    # The parallel file's pairs first, then each dictionary's new pairs in command-line order.
    assert pairs == parallel_pairs + [
        ("gato", "tomcat"),
        ("gato", "jack"),
        ("casa", "home"),
        ("casa", "house"),
        ("hogar", "house"),
        ("Casa", "Home"),
    ]
    out = capsys.readouterr().out
    assert (
        f"{parallel}: {from_parallel['cooccurrence']} co-occurrence pairs and 0 identical strings"
    ) in out
    assert f"{es_en} (FreeDict): 4 pairs" in out
    assert f"{en_es_muse} (MUSE, inverted): 2 pairs" in out
    assert f"{en_es.replace('.index', '')} (FreeDict, inverted): 2 pairs" in out
    assert f"{es_en_muse} (MUSE): 1 pairs" in out
    assert f"{len(pairs)} pairs (without repeats) in {output}" in out


def test_dictionaries_without_parallel_text_inverted_and_lowercased(dictionaries, tmp_path):
    es_en, en_es, en_es_muse, es_en_muse = dictionaries
    output = tmp_path / "merged.txt"
    sources = [
        DictionarySource("muse", es_en_muse),
        DictionarySource("muse", en_es_muse, inverted=True),
        DictionarySource("freedict", en_es, inverted=True),
    ]
    counts = elmo_dictionary(None, str(output), sources=sources)
    assert read_dictionary(str(output)) == [
        ("Casa", "Home"),
        ("gato", "cat"),
        ("casa", "home"),
        ("casa", "house"),
        ("hogar", "house"),
    ]
    assert list(counts.values()) == [1, 2, 2]
    elmo_dictionary(None, str(output), sources=sources, lowercase=True)
    assert read_dictionary(str(output)) == [
        ("casa", "home"),
        ("gato", "cat"),
        ("casa", "house"),
        ("hogar", "house"),
    ]
    with pytest.raises(ConfigurationError, match=r"no input: give a parallel file, --freedict"):
        elmo_dictionary(None, str(output))
    with pytest.raises(ConfigurationError, match=r"unknown dictionary kind 'tei'"):
        elmo_dictionary(None, str(output), sources=[DictionarySource("tei", en_es_muse)])


@pytest.mark.parametrize(
    "content, message",
    [
        # A tab inside a sentence: "perro" would be paired with the target of the wrong column.
        (
            "1\tel gato\tthe cat\n\n2\tel\tperro\tthe dog\n",
            r"parallel.tsv, line 3: 4 tab-separated columns, but line 1 has 3; a ragged file",
        ),
        (
            "1\tel gato\tthe cat\n2\tel perro\t \n",
            r"parallel.tsv, line 2: no target text in column 2",
        ),
        # One side empty on each of two lines: the sides would be paired one line apart.
        (
            "1\t\tthe cat\n2\tel perro\t\n3\tel gato\tthe cat\n",
            r"parallel.tsv, line 1: no source text in column 1",
        ),
        ("\n  \n", r"The corpus '.*parallel.tsv' is empty"),
        (b"1\tel gato\tthe cat\n2\tel \xe9\tthe\n", r"parallel.tsv, line 2: not valid UTF-8"),
    ],
)
def test_bad_parallel_files_name_the_file_and_line(tmp_path, dictionaries, content, message):
    parallel = tmp_path / "parallel.tsv"
    if isinstance(content, bytes):
        parallel.write_bytes(content)
    else:
        parallel.write_text(content, encoding="utf-8")
    sources = [DictionarySource("freedict", dictionaries[0])]  # a good one beside it
    with pytest.raises(ConfigurationError, match=message):
        elmo_dictionary(str(parallel), str(tmp_path / "out.txt"), columns=(1, 2), sources=sources)
    assert not (tmp_path / "out.txt").exists()


def test_bad_dictionaries_name_the_file_and_line_and_nothing_is_written(
    parallel, dictionaries, tmp_path, monkeypatch
):
    es_en, _, en_es_muse, _ = dictionaries
    with open(es_en, "a", encoding="utf-8") as f:
        f.write("zorro\tBAAA\tB\n")  # offset 262144: past the data
    output = tmp_path / "out.txt"
    arguments = ["elmo-dictionary", str(parallel), "--tokenized", "--columns", "1", "2"]
    arguments += ["--min-count", "2"]
    with pytest.raises(ConfigurationError, match=r"freedict-spa-eng.index, line 3: .*ends past"):
        run_cli(monkeypatch, *arguments, "--freedict", es_en, "--output", str(output))
    with open(en_es_muse, "a", encoding="utf-8") as f:
        f.write("ice cream\thelado\n")
    with pytest.raises(ConfigurationError, match=r"en-es.tsv, line 3: the source 'ice cream'"):
        run_cli(monkeypatch, *arguments, "--muse-inverted", en_es_muse, "--output", str(output))
    with pytest.raises(ConfigurationError, match=r"'.*nowhere.index' .*does not exist"):
        run_cli(monkeypatch, *arguments, "--freedict", "nowhere.index", "--output", str(output))
    assert not output.exists()


def test_parallel_text_needs_its_tokenisation(parallel, tmp_path, monkeypatch):
    output = tmp_path / "es-en.txt"
    with pytest.raises(ConfigurationError, match="--languages SOURCE TARGET .* or --tokenized"):
        run_cli(monkeypatch, "elmo-dictionary", str(parallel), "--output", str(output))
    assert not output.exists()
