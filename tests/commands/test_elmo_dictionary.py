import pytest
from allennlp.common.checks import ConfigurationError
from helpers.cli import run_cli

from allennlp_multilang_elmo.alignment.dictionary import read_dictionary
from allennlp_multilang_elmo.commands.elmo_dictionary import elmo_dictionary

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
