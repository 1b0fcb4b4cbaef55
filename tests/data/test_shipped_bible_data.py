"""
The Bible and EWT files in data/ follow the split rule of scripts/split_bible.py and their READMEs.
"""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIBLE = REPO / "data" / "bible-en-es"
EWT = REPO / "data" / "ud-en-ewt"


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bible_verses_are_where_the_split_rule_puts_them():
    split_of = load_script("split_bible").split_of
    references = set()
    for split, count in (("train", 27953), ("heldout", 3129)):
        lines = (BIBLE / f"parallel_en_es-{split}.tsv").read_text("utf-8").splitlines()
        assert len(lines) == count
        for line in lines:
            reference, english, spanish = line.split("\t")
            assert english and spanish
            assert split_of(reference) == split
            references.add(reference)
    assert len(references) == 31082


def test_split_script_reproduces_the_bible_files(tmp_path):
    parts = [(BIBLE / f"parallel_en_es-{split}.tsv").read_bytes() for split in ("train", "heldout")]
    source = tmp_path / "parallel_en_es.tsv"
    source.write_bytes(b"".join(parts))
    load_script("split_bible").main(["--source", str(source), "--target", str(tmp_path)])
    for split in ("train", "heldout"):
        name = f"parallel_en_es-{split}.tsv"
        assert (tmp_path / name).read_bytes() == (BIBLE / name).read_bytes()


def test_debian_export_is_parsed_and_paired_by_reference():
    script = load_script("bible_from_debian")
    english = script.parse_export(
        [
            "Genesis 1:1: In the beginning,",
            "God created the heavens.",
            "(The creation)",
            "Genesis 1:2: The earth was empty.",
            "1 John 1:1: That which was from the beginning.",
            "(engWEB2015eb)",
        ]
    )
    assert english == {
        "Genesis 1:1": "In the beginning, God created the heavens.",
        "Genesis 1:2": "The earth was empty.",
        "1 John 1:1": "That which was from the beginning.",
    }
    spanish = {"Genesis 1:1": "EN el principio.", "1 John 1:1": "", "Genesis 1:2": "Y la tierra."}
    assert script.pair_verses(english, spanish) == [
        "Genesis 1:1\tIn the beginning, God created the heavens.\tEN el principio.",
        "Genesis 1:2\tThe earth was empty.\tY la tierra.",
    ]


def test_ewt_files_are_the_release_with_their_licence():
    names = ("en_ewt-ud-dev.conllu", "en_ewt-ud-test.conllu")
    counts = {
        name: sum(line.startswith("# sent_id = ") for line in (EWT / name).open(encoding="utf-8"))
        for name in names
    }
    assert counts == {"en_ewt-ud-dev.conllu": 2001, "en_ewt-ud-test.conllu": 2077}
    assert (EWT / "LICENSE.txt").read_text("utf-8").startswith("Attribution-ShareAlike 4.0")
    assert "Silveira et al." in (EWT / "README.md").read_text("utf-8")
