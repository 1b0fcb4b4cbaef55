"""
The README's "A new language, step by step" at test scale, through the command line only, for a
language code spaCy has no rules for (`xq`: its raw text is split by spaCy's multi-language rules):
raw text -> biLM (`allennlp train training_configs/elmo_bilm.jsonnet`, `elmo-export`) -> anchors
-> dictionary -> alignment -> `elmo-add-language` on a parser trained on English with
`training_configs/zero_shot_parser.jsonnet` -> `evaluate`, `attachment-table` and `parse`.

The geometry is the tiny one (`elmo_options()`: 16 dimensions in 3 layers) instead of the shipped
128 in 3: the parser's English biLM (`write-tiny-elmo`, standing in for the shipped
`data/elmo-libreoffice/en`) and the new biLM share it, which is what the walkthrough requires.
The trainings are real `allennlp train` processes (environment variables as in the README); the
other commands run in this process.
"""

import collections
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import numpy
import pytest
from allennlp.models.archival import load_archive
from allennlp.modules.elmo import Elmo
from helpers.cli import run_cli
from helpers.demo_training import ALLENNLP, BILM_TEXT, FIXTURES, OFFLINE, REPO_ROOT

from allennlp_multilang_elmo.alignment.dictionary import read_dictionary
from allennlp_multilang_elmo.data.dataset_readers.bilm_text import BilmTextDatasetReader
from allennlp_multilang_elmo.data.tokenizers import LanguageRulesTokenizer
from allennlp_multilang_elmo.modules.alignment_matrix import load_alignment_matrix
from allennlp_multilang_elmo.modules.tiny_elmo import elmo_options

pytestmark = pytest.mark.end_to_end

LANG = "xq"  # no spaCy rules: "any language code"
BIBLE = os.path.join(REPO_ROOT, "tests", "fixtures", "bilm", "bible_en_es.tsv")
CONFIGS = os.path.join(REPO_ROOT, "training_configs")
ELMO_DIM = 2 * elmo_options()["lstm"]["projection_dim"]
NUM_LAYERS = elmo_options()["lstm"]["n_layers"] + 1  # the characters' layer and the LSTMs'

# The generic biLM config shrunk as `helpers.demo_training.bilm_config` shrinks it, as `-o`
# overrides: dotted keys, since `-o` replaces a nested object whole.
TINY_BILM = {
    "model.options": elmo_options(),
    "model.num_samples": 20,
    "vocabulary.min_count.tokens": 1,
    "dataset_reader.num_streams": 8,
    "data_loader.batch_size": 8,
    "data_loader.max_instances_in_memory": 32,
    "trainer.num_epochs": 1,
}
# The zero-shot parser config reads 128-dimensional biLMs (and 32-dimensional UPOS embeddings).
TINY_PARSER = {
    "model.encoder.input_size": ELMO_DIM + 32,
    "model.pos_tagger_encoder.input_size": ELMO_DIM,
    "trainer.num_epochs": 1,
}
RAW_PARAGRAPHS = [
    "Ouvrez le menu Fichier. Choisissez l'imprimante, puis cliquez sur OK.",
    "Le document est prêt.",
]


def allennlp_train(
    config: str, serialization_dir: Path, env: Dict[str, str], overrides: Dict[str, Any]
) -> None:
    """`allennlp train CONFIG -s DIR -o OVERRIDES` as a process, with `env` added."""
    result = subprocess.run(
        [ALLENNLP, "train", config, "-s", str(serialization_dir), "-o", json.dumps(overrides)],
        cwd=REPO_ROOT,
        env={**OFFLINE, **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-5000:]


def word_counts(sentences: List[List[str]]) -> Dict[str, int]:
    return dict(collections.Counter(word for sentence in sentences for word in sentence))


def write_inputs(root: Path) -> Dict[str, Path]:
    """
    The walkthrough's inputs: `en.txt` (English raw text), `xq.txt` (the new language's raw text:
    the French help fixture and the Spanish verses, so that the dictionary's words have anchors),
    `en-xq.tsv` (English<TAB>xq, the 40 verses), `xq-en.muse.txt` (a hand-made dictionary) and a
    treebank `xq_pud-ud-test.conllu` (French PUD sentences, relabelled).
    """
    verses = [line.split("\t") for line in Path(BIBLE).read_text("utf-8").splitlines()]
    files = {
        "en_text": root / "en.txt",
        "text": root / f"{LANG}.txt",
        "parallel": root / f"en-{LANG}.tsv",
        "muse": root / f"{LANG}-en.muse.txt",
        "treebank": root / f"{LANG}_pud-ud-test.conllu",
    }
    files["en_text"].write_text("".join(f"{english}\n" for _, english, _ in verses), "utf-8")
    french = Path(BILM_TEXT).read_text("utf-8")
    files["text"].write_text(french + "".join(f"{other}\n" for *_, other in verses), "utf-8")
    files["parallel"].write_text("".join(f"{en}\t{other}\n" for _, en, other in verses), "utf-8")
    files["muse"].write_text("Dios God\nfichier file\n", "utf-8")
    shutil.copy(os.path.join(FIXTURES, "fr_pud-ud-dev.conllu"), files["treebank"])
    return files


def test_a_new_language_step_by_step(tmp_path, monkeypatch, capsys):
    inputs = write_inputs(tmp_path)
    elmo = tmp_path / "elmo"

    # The English side: the shared space's biLM and a parser trained on English with it.
    run_cli(monkeypatch, "write-tiny-elmo", str(elmo), "--languages", "en")
    parser_env = {
        "PARSER_TRAIN": os.path.join(FIXTURES, "en_pud-ud-train.conllu"),
        "PARSER_VALIDATION": os.path.join(FIXTURES, "en_pud-ud-dev.conllu"),
        "PARSER_LANGUAGES": "en",
        "ELMO_DIR": str(elmo),
        "PARSER_ALIGNED": "",
        "PARSER_INPUT": "elmo+upos",
        "ZERO_ALIGNMENT": "",
        "ACTIVATION_CACHE": str(tmp_path / "cache"),
    }
    parser = tmp_path / "parser-en"
    zero_shot_config = os.path.join(CONFIGS, "zero_shot_parser.jsonnet")
    allennlp_train(zero_shot_config, parser, parser_env, TINY_PARSER)

    # 1. The biLM, from raw text, exported to bilm-tf files that AllenNLP's Elmo reads.
    bilm_run = tmp_path / f"bilm-{LANG}"
    bilm_env = {
        "BILM_LANGUAGE": LANG,
        "BILM_TRAIN": str(inputs["text"]),
        "BILM_VALIDATION": str(inputs["text"]),
    }
    allennlp_train(os.path.join(CONFIGS, "elmo_bilm.jsonnet"), bilm_run, bilm_env, TINY_BILM)
    run_cli(monkeypatch, "elmo-export", str(bilm_run / "model.tar.gz"), str(elmo / LANG))
    options_file, weight_file = str(elmo / LANG / "options.json"), str(elmo / LANG / "weights.hdf5")
    assert Elmo(options_file, weight_file, 1, dropout=0.0).get_output_dim() == ELMO_DIM

    # 2. Anchors of both sides, the raw text tokenised as the biLM reader tokenised its corpus.
    for lang, text in (("en", inputs["en_text"]), (LANG, inputs["text"])):
        run_cli(
            monkeypatch,
            "elmo-anchors",
            str(elmo / lang / "options.json"),
            str(elmo / lang / "weights.hdf5"),
            str(text),
            "--language",
            lang,
            "--output-dir",
            str(tmp_path / "anchors" / lang),
        )
    anchors = {
        lang: json.loads((tmp_path / "anchors" / lang / "anchors.json").read_text("utf-8"))
        for lang in ("en", LANG)
    }
    for lang, text in (("en", inputs["en_text"]), (LANG, inputs["text"])):
        reader = BilmTextDatasetReader(language=lang)
        assert anchors[lang]["counts"] == word_counts(reader.read_sentences(str(text)))
        assert anchors[lang]["num_layers"] == NUM_LAYERS and anchors[lang]["dim"] == ELMO_DIM
    # The biLM learnt to predict exactly the words that have anchors (every word, min_count 1).
    vocabulary = (bilm_run / "vocabulary" / "tokens.txt").read_text("utf-8").split("\n")
    special = {"@@UNKNOWN@@", "<S>", "</S>", ""}
    assert set(vocabulary) - special == set(anchors[LANG]["counts"])
    for layer in range(NUM_LAYERS):
        vec = tmp_path / "anchors" / LANG / f"anchors_layer{layer}.vec"
        header = vec.read_text("utf-8").split("\n", 1)[0]
        assert header == f"{len(anchors[LANG]['counts'])} {ELMO_DIM}"

    # 3. The dictionary: co-occurrence in the parallel text, then a hand-made list merged in.
    dictionary = tmp_path / f"{LANG}-en.txt"
    run_cli(
        monkeypatch,
        "elmo-dictionary",
        str(inputs["parallel"]),
        "--columns",
        "1",
        "0",
        "--languages",
        LANG,
        "en",
        "--min-count",
        "2",
        "--muse",
        str(inputs["muse"]),
        "--output",
        str(dictionary),
    )
    pairs = read_dictionary(str(dictionary))
    assert pairs[-1] == ("fichier", "file") and pairs.count(("Dios", "God")) == 1
    cooccurrence = pairs[:-1]
    assert len(cooccurrence) >= 40
    # One tokenisation: every co-occurrence pair is of words both biLMs have anchors for.
    assert all(source in anchors[LANG]["counts"] for source, _ in cooccurrence)
    assert all(target in anchors["en"]["counts"] for _, target in cooccurrence)

    # 4. The alignment: one orthogonal map per layer (random tiny biLMs: precision about 0).
    alignment = elmo / LANG / "align.pth"
    run_cli(
        monkeypatch,
        "elmo-align",
        str(tmp_path / "anchors" / LANG),
        str(tmp_path / "anchors" / "en"),
        "--dictionary",
        str(dictionary),
        "--refinement",
        "1",
        "--min-pairs",
        "20",
        "--output",
        str(alignment),
    )
    stack = load_alignment_matrix(str(alignment), ELMO_DIM, LANG, num_layers=NUM_LAYERS).numpy()
    assert stack.shape == (NUM_LAYERS, ELMO_DIM, ELMO_DIM)
    for matrix in stack:
        numpy.testing.assert_allclose(matrix @ matrix.T, numpy.eye(ELMO_DIM), atol=1e-5)
    assert (elmo / LANG / "align.json").is_file()

    # 5. The parser's archive with the new language in it.
    archive = tmp_path / f"parser-en-{LANG}.tar.gz"
    capsys.readouterr()
    run_cli(
        monkeypatch,
        "elmo-add-language",
        str(parser / "model.tar.gz"),
        str(archive),
        "--lang",
        LANG,
        "--options-file",
        options_file,
        "--weight-file",
        weight_file,
        "--alignment-file",
        str(alignment),
    )
    summary = f"languages en, {LANG}; {LANG} aligned, {ELMO_DIM} dimensions in {NUM_LAYERS} layers"
    assert summary in capsys.readouterr().out
    config = load_archive(str(archive)).config.as_dict(quiet=True)
    embedder = config["model"]["text_field_embedder"]["token_embedders"]["elmo"]
    assert set(embedder["options_files"]) == set(embedder["weight_files"]) == {"en", LANG}
    assert set(embedder["aligning_files"]) == {LANG}

    # 6. Zero-shot scores on the new language's treebank (its language from the file name).
    metrics_file = tmp_path / f"{LANG}-metrics.json"
    run_cli(
        monkeypatch,
        "evaluate",
        str(archive),
        str(inputs["treebank"]),
        "--output-file",
        str(metrics_file),
    )
    metrics = json.loads(metrics_file.read_text())
    assert 0.0 <= metrics[f"LAS_{LANG}"] <= metrics[f"UAS_{LANG}"] <= 1.0
    capsys.readouterr()
    run_cli(monkeypatch, "attachment-table", str(metrics_file), "--run", str(archive))
    table = capsys.readouterr().out.splitlines()
    assert "zero-shot from trained on en" in table[0]
    assert table[2].split()[:3] == [LANG, "zero-shot", f"{100 * metrics[f'UAS_{LANG}']:.1f}"]

    # 7. Raw text, one paragraph a line: split into sentences and words by the language's rules.
    raw = tmp_path / "raw.txt"
    raw.write_text("".join(f"{paragraph}\n" for paragraph in RAW_PARAGRAPHS), "utf-8")
    parsed = tmp_path / "raw.conllu"
    run_cli(
        monkeypatch,
        "parse",
        str(archive),
        str(raw),
        "--lang",
        LANG,
        "--input-format",
        "paragraphs",
        "--output-file",
        str(parsed),
    )
    lines = parsed.read_text("utf-8").splitlines()
    assert [line for line in lines if line.startswith("# newpar")] == [
        "# newpar id = 1",
        "# newpar id = 2",
    ]
    tokenizer = LanguageRulesTokenizer(LANG)
    expected = [tokenizer.words(s) for p in RAW_PARAGRAPHS for s in tokenizer.split_sentences(p)]
    sentences: List[List[List[str]]] = []
    for line in lines:
        if line.startswith("# sent_id"):
            sentences.append([])
        elif line and not line.startswith("#"):
            sentences[-1].append(line.split("\t"))
    assert [[row[1] for row in rows] for rows in sentences] == expected and len(expected) == 3
    for rows in sentences:
        heads = [int(row[6]) for row in rows]
        assert all(len(row) == 10 for row in rows) and heads.count(0) == 1
        assert all(0 <= head <= len(rows) for head in heads)
