"""
`allennlp parse` on an archive trained from the demo config: CoNLL-U and raw text in, valid CoNLL-U
out, scores equal to `allennlp evaluate`'s, and bad input refused with nothing written.
"""

import html.parser
import json
import os
import re
import subprocess

import conllu
import pytest
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor
from allennlp_models.structured_prediction.models.biaffine_dependency_parser import POS_TO_IGNORE
from helpers.cli import run_cli
from helpers.demo_training import ALLENNLP, OFFLINE, REPO_ROOT

from allennlp_multilang_elmo.commands.parse import parse_files

pytestmark = pytest.mark.end_to_end

SPANISH_TEST = os.path.join(REPO_ROOT, "data", "ud-pud", "es_pud-ud-test.conllu")
EMPTY_NODE = "8.1\tvacío\tvacío\tNOUN\t_\t_\t_\t_\t8:nmod\t_"


@pytest.fixture(scope="module")
def archive(tiny_demo_run):
    # Deterministic ELMo: a sentence's vectors do not depend on its batch, so `parse` and
    # `evaluate` (which batch differently) must agree exactly.
    return tiny_demo_run / "model.tar.gz"


@pytest.fixture(scope="module")
def predictor(archive):
    return Predictor.from_archive(
        load_archive(str(archive)), "biaffine_parser_multilang", dataset_reader_to_load="validation"
    )


@pytest.fixture
def spanish(tmp_path):
    """Twelve sentences of the Spanish test set (with multiword tokens), one empty node added."""
    sentences = open(SPANISH_TEST, encoding="utf-8").read().split("\n\n")[:12]
    lines = sentences[0].split("\n")
    sentences[0] = "\n".join(lines[:12] + [EMPTY_NODE] + lines[12:])
    path = tmp_path / "es_sample.conllu"
    path.write_text("\n\n".join(sentences) + "\n\n", encoding="utf-8")
    return path


def attachment_scores(gold_path, predicted_path):
    """UAS and LAS over the words whose gold UPOS is not punctuation (the metric's rule)."""
    gold = conllu.parse(open(gold_path, encoding="utf-8").read())
    predicted = conllu.parse(open(predicted_path, encoding="utf-8").read())
    scored = unlabeled = labeled = 0
    for gold_sentence, predicted_sentence in zip(gold, predicted, strict=True):
        words = [
            (g, p) for g, p in zip(gold_sentence, predicted_sentence) if isinstance(g["id"], int)
        ]
        for gold_word, predicted_word in words:
            if gold_word["upos"] in POS_TO_IGNORE:
                continue
            scored += 1
            unlabeled += gold_word["head"] == predicted_word["head"]
            labeled += (gold_word["head"], gold_word["deprel"]) == (
                predicted_word["head"],
                predicted_word["deprel"],
            )
    return unlabeled / scored, labeled / scored


def test_conllu_passes_through_and_scores_equal_evaluate(
    archive, spanish, tmp_path, monkeypatch, capsys
):
    output = tmp_path / "parsed.conllu"
    run_cli(
        monkeypatch,
        "parse",
        str(archive),
        str(spanish),
        "--output-file",
        str(output),
        "--batch-size",
        "5",
    )
    summary = capsys.readouterr().out
    assert re.search(r"parsed 12 sentences, \d+ tokens in [\d.]+ s \(\d+ tokens/s\)", summary)

    gold_lines = spanish.read_text(encoding="utf-8").splitlines()
    parsed_lines = output.read_text(encoding="utf-8").splitlines()
    assert len(parsed_lines) == len(gold_lines)
    for gold, parsed in zip(gold_lines, parsed_lines):
        gold_columns, parsed_columns = gold.split("\t"), parsed.split("\t")
        if len(gold_columns) == 10 and gold_columns[0].isdigit():
            # Only HEAD and DEPREL change.
            assert gold_columns[:6] + gold_columns[8:] == parsed_columns[:6] + parsed_columns[8:]
            assert parsed_columns[6].isdigit() and parsed_columns[7] != "_"
        else:  # comments, multiword tokens, empty nodes, blank lines
            assert parsed == gold
    assert any(re.match(r"\d+-\d+\t", line) for line in parsed_lines)
    assert EMPTY_NODE in parsed_lines

    # Valid CoNLL-U, readable by the project's reader, with one root per sentence.
    sentences = conllu.parse(output.read_text(encoding="utf-8"))
    assert len(sentences) == 12
    for sentence in sentences:
        assert [w["head"] for w in sentence if isinstance(w["id"], int)].count(0) == 1
    assert len(list(load_archive(str(archive)).validation_dataset_reader.read(str(output)))) == 12

    metrics_file = tmp_path / "metrics.json"
    run_cli(monkeypatch, "evaluate", str(archive), str(spanish), "--output-file", str(metrics_file))
    metrics = json.loads(metrics_file.read_text())
    uas, las = attachment_scores(spanish, output)
    assert uas == pytest.approx(metrics["UAS_es"], abs=1e-9)
    assert las == pytest.approx(metrics["LAS_es"], abs=1e-9)


def test_missing_upos_is_filled_with_the_taggers(predictor, spanish, tmp_path):
    untagged = tmp_path / "es_untagged.conllu"
    lines = []
    for line in spanish.read_text(encoding="utf-8").splitlines():
        columns = line.split("\t")
        if len(columns) == 10 and columns[0].isdigit():
            columns[3] = "_"
        lines.append("\t".join(columns))
    untagged.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "parsed.conllu"
    parse_files(predictor, [str(untagged)], str(output))
    words = [
        w
        for s in conllu.parse(output.read_text(encoding="utf-8"))
        for w in s
        if isinstance(w["id"], int)
    ]
    # A model trained this little tags mostly one tag; what matters is that every word has one.
    known = set(predictor._model.vocab.get_token_to_index_vocabulary("pos")) - {
        "@@PADDING@@",
        "@@UNKNOWN@@",
    }
    assert {word["upos"] for word in words} <= known


def test_raw_text(predictor, tmp_path):
    text = tmp_path / "raw.txt"
    text.write_text("El gato duerme en el sofá.\n\nLa casa es grande.\n", encoding="utf-8")
    output = tmp_path / "parsed.conllu"
    summary = parse_files(predictor, [str(text)], str(output), language="es", input_format="text")
    assert (summary.sentences, summary.tokens) == (2, 12)
    sentences = conllu.parse(output.read_text(encoding="utf-8"))
    assert [s.metadata["text"] for s in sentences] == [
        "El gato duerme en el sofá.",
        "La casa es grande.",
    ]
    first = sentences[0]
    assert [w["form"] for w in first] == ["El", "gato", "duerme", "en", "el", "sofá", "."]
    assert first[5]["misc"] == {"SpaceAfter": "No"} and first[6]["misc"] is None
    assert "_" not in [w["upos"] for w in first]
    assert [w["head"] for w in first].count(0) == 1


def test_paragraphs_are_split_into_sentences(predictor, tmp_path):
    text = tmp_path / "raw.txt"
    text.write_text(
        "El gato duerme en el sofá. ¿Dónde está el perro?\n\nLa casa es grande.\n",
        encoding="utf-8",
    )
    output = tmp_path / "parsed.conllu"
    summary = parse_files(
        predictor, [str(text)], str(output), language="es", input_format="paragraphs"
    )
    sentences = conllu.parse(output.read_text(encoding="utf-8"))
    assert summary.sentences == 3
    assert [s.metadata["text"] for s in sentences] == [
        "El gato duerme en el sofá.",
        "¿Dónde está el perro?",
        "La casa es grande.",
    ]
    assert [s.metadata.get("newpar id") for s in sentences] == ["1", None, "2"]
    assert [s.metadata["sent_id"] for s in sentences] == ["1", "2", "3"]
    assert [w["form"] for w in sentences[1]] == ["¿", "Dónde", "está", "el", "perro", "?"]


def test_language_from_the_file_name_or_lang(predictor, spanish, tmp_path):
    unnamed = tmp_path / "sample.conllu"
    unnamed.write_bytes(spanish.read_bytes())
    output = tmp_path / "out.conllu"
    with pytest.raises(
        ConfigurationError, match=r"sample.conllu: its name gives language 'sample', .*pass --lang"
    ):
        parse_files(predictor, [str(unnamed)], str(output))
    assert parse_files(predictor, [str(unnamed)], str(output), language="es").sentences == 12


@pytest.mark.parametrize(
    "content, arguments, message",
    [
        (
            b"1\tEl\tel\tDET\n",
            {},
            r"es_bad.conllu, line 1: expected 10 tab-separated columns, found 4",
        ),
        (
            b"# text = x\n1\tx\tx\tX\t_\t_\t0\troot\t_\t_\n\n1\tEl gato duerme\n",
            {},
            r"line 4: expected 10",
        ),
        (b"El gato duerme.\n", {}, r"line 1: .*found 1 \(raw text\? pass --input-format text\)"),
        (b"", {}, r"es_bad.conllu: no sentences to parse"),
        (b"\n\n", {"input_format": "text"}, r"es_bad.conllu: no sentences to parse"),
        (b"# ok\n1\tcaf\xe9\n", {}, r"es_bad.conllu, line 2: not valid UTF-8"),
        (
            b"1\tx\tx\tX\t_\t_\t0\troot\t_\t_\n",
            {"language": "sv"},
            r"--lang 'sv' is not one of the model's languages \(de, en, es, fr, it\)",
        ),
    ],
)
def test_bad_input_names_file_and_line_and_writes_nothing(
    predictor, tmp_path, content, arguments, message
):
    bad = tmp_path / "es_bad.conllu"
    bad.write_bytes(content)
    output = tmp_path / "out.conllu"
    output.write_text("earlier output\n")
    with pytest.raises(ConfigurationError, match=message):
        parse_files(predictor, [str(bad)], str(output), **arguments)
    assert output.read_text() == "earlier output\n"
    assert sorted(os.listdir(tmp_path)) == ["es_bad.conllu", "out.conllu"]


def test_failure_while_parsing_leaves_no_partial_file(predictor, spanish, tmp_path, monkeypatch):
    calls = []

    def fail_on_second_batch(inputs):
        calls.append(len(inputs))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return type(predictor).predict_batch_json(predictor, inputs)

    monkeypatch.setattr(predictor, "predict_batch_json", fail_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        parse_files(predictor, [str(spanish)], str(tmp_path / "out.conllu"), batch_size=5)
    assert sorted(os.listdir(tmp_path)) == ["es_sample.conllu"]


def test_commands_are_listed_from_any_folder(tmp_path):
    # No .allennlp_plugins here: the venv's `allennlp` (written by the install) loads the plugin
    result = subprocess.run(
        [ALLENNLP, "--help"], cwd=tmp_path, env=OFFLINE, capture_output=True, text=True, check=True
    )
    # ... and filters the upstream import-time warnings.
    assert "Warning" not in result.stderr, result.stderr
    for command in ("parse", "attachment-table", "write-tiny-elmo"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.MULTILINE), result.stdout


class _SvgParts(html.parser.HTMLParser):
    """The words and arcs (their labels) of displaCy's SVG drawings, per drawing."""

    def __init__(self) -> None:
        super().__init__()
        self.drawings: list = []
        self._inside = None

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class", "")
        if tag == "svg":
            self.drawings.append({"words": [], "labels": []})
        elif classes in ("displacy-word", "displacy-label") or (
            tag == "textpath" and self._inside == "label"
        ):
            self._inside = "word" if classes == "displacy-word" else "label"

    def handle_data(self, data):
        if self._inside and data.strip():
            key = "words" if self._inside == "word" else "labels"
            self.drawings[-1][key].append(data.strip())
            self._inside = None


def test_html_draws_every_sentence_with_its_arcs(archive, spanish, tmp_path, monkeypatch):
    output, page = tmp_path / "parsed.conllu", tmp_path / "parsed.html"
    run_cli(
        monkeypatch,
        "parse",
        str(archive),
        str(spanish),
        "--output-file",
        str(output),
        "--html",
        str(page),
        "--threads",
        "2",
        "-o",
        '{"model.use_mst_decoding_for_validation": true}',
    )
    with open(output, encoding="utf-8") as f:
        sentences = conllu.parse(f.read())
    parts = _SvgParts()
    parts.feed(page.read_text(encoding="utf-8"))
    assert len(parts.drawings) == len(sentences)
    for drawing, sentence in zip(parts.drawings, sentences):
        words = [token for token in sentence if isinstance(token["id"], int)]
        assert drawing["words"] == [token["form"] for token in words]
        # One arc per word but the root, labelled with its relation.
        assert sorted(drawing["labels"]) == sorted(t["deprel"] for t in words if t["head"] != 0)


def test_html_and_output_must_differ(predictor, spanish, tmp_path):
    output = tmp_path / "out.conllu"
    with pytest.raises(ConfigurationError, match="give two files"):
        parse_files(predictor, [str(spanish)], str(output), html_file=str(output))
    assert not output.exists()


def test_outputs_have_the_users_permissions(predictor, spanish, tmp_path):
    output, page = tmp_path / "out.conllu", tmp_path / "out.html"
    previous = os.umask(0o027)
    try:
        parse_files(predictor, [str(spanish)], str(output), html_file=str(page))
    finally:
        os.umask(previous)
    assert {oct(path.stat().st_mode & 0o777) for path in (output, page)} == {oct(0o640)}


def test_unicode_line_breaks_stay_inside_words_and_lines(predictor, tmp_path):
    # U+2028 and U+0085 end lines for Python's splitlines, not for CoNLL-U or one-per-line text.
    treebank = tmp_path / "es_breaks.conllu"
    treebank.write_text(
        "# text = a\u2028b c\n"
        "1\ta\u2028b\t_\tNOUN\t_\t_\t_\t_\t_\t_\n"
        "2\tc\t_\tVERB\t_\t_\t_\t_\t_\t_\n\n",
        encoding="utf-8",
    )
    text = tmp_path / "es_breaks.txt"
    text.write_text("El gato\u2028duerme\u0085bien .\n", encoding="utf-8")
    for path, input_format in ((treebank, "conllu"), (text, "text")):
        output = tmp_path / f"{path.name}.out"
        summary = parse_files(predictor, [str(path)], str(output), input_format=input_format)
        assert summary.sentences == 1
        (sentence,) = conllu.parse(output.read_text(encoding="utf-8"))
        assert "\u2028" in sentence.metadata["text"]
