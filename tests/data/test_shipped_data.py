"""The PUD train/dev/test files in data/ud-pud follow the split rule of scripts/split_pud.py."""

import importlib.util
import re
from pathlib import Path
from typing import Dict, List, Set

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data" / "ud-pud"
LANGUAGES = ["de", "en", "es", "fr", "it"]
SPLITS = ["train", "dev", "test"]


def load_split_pud():
    spec = importlib.util.spec_from_file_location("split_pud", REPO / "scripts" / "split_pud.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sent_ids(path: Path) -> List[str]:
    return re.findall(r"^# sent_id = (\S+)$", path.read_text(encoding="utf-8"), re.MULTILINE)


@pytest.fixture(scope="module")
def ids() -> Dict[str, Dict[str, List[str]]]:
    return {
        lang: {split: sent_ids(DATA / f"{lang}_pud-ud-{split}.conllu") for split in SPLITS}
        for lang in LANGUAGES
    }


def test_splits_are_parallel_disjoint_and_complete(ids):
    for split in SPLITS:
        for lang in LANGUAGES:
            assert ids[lang][split] == ids["en"][split], f"{lang} {split} differs from en"
    english: Dict[str, Set[str]] = {split: set(ids["en"][split]) for split in SPLITS}
    assert [len(english[split]) for split in SPLITS] == [812, 84, 104]
    assert not (english["train"] & english["dev"] or english["train"] & english["test"])
    assert not english["dev"] & english["test"]
    assert len(english["train"] | english["dev"] | english["test"]) == 1000


def test_sentences_are_where_the_split_rule_puts_them(ids):
    split_of = load_split_pud().split_of
    for split in SPLITS:
        assert {split_of(sent_id) for sent_id in ids["en"][split]} == {split}


def test_split_script_reproduces_the_files(tmp_path):
    # The split does not depend on sentence order, so re-splitting the concatenated splits must
    # give back every file byte for byte.
    source, target = tmp_path / "source", tmp_path / "target"
    source.mkdir()
    for lang in LANGUAGES:
        parts = [(DATA / f"{lang}_pud-ud-{split}.conllu").read_text("utf-8") for split in SPLITS]
        (source / f"{lang}_pud-ud-test.conllu").write_text("".join(parts), "utf-8")
    load_split_pud().main(["--source", str(source), "--target", str(target)])
    for lang in LANGUAGES:
        for split in SPLITS:
            name = f"{lang}_pud-ud-{split}.conllu"
            assert (target / name).read_bytes() == (DATA / name).read_bytes(), name


def test_readme_counts_and_licence():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "CC BY-SA 3.0" in readme and "Zeman et al." in readme
    assert (DATA / "LICENSE-CC-BY-SA-3.0.txt").is_file()
    rows = re.findall(
        r"^\| (\w+_pud-ud-\w+\.conllu) \| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \|$", readme, re.M
    )
    assert len(rows) == 15
    for name, sentences, words, multiword_tokens in rows:
        text = (DATA / name).read_text(encoding="utf-8")
        counted = [
            len(re.findall(r"^# sent_id = ", text, re.M)),
            len(re.findall(r"^\d+\t", text, re.M)),
            len(re.findall(r"^\d+-\d+\t", text, re.M)),
        ]
        assert counted == [int(n.replace(",", "")) for n in (sentences, words, multiword_tokens)], (
            name
        )
