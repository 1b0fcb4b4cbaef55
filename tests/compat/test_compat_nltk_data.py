import importlib.util
import pathlib
import runpy
from typing import List

import nltk

from allennlp_multilang_elmo.compat.nltk_data import ensure_punkt_stub

REPO_ROOT = pathlib.Path(__file__).parents[2]

# The module allennlp-models imports at every CLI start; run from its file, nothing else of
# allennlp-models is imported.
NARRATIVEQA = (
    pathlib.Path(importlib.util.find_spec("allennlp_models").origin).parent  # type: ignore
    / "rc"
    / "tools"
    / "narrativeqa.py"
)


def _downloads_at_import(monkeypatch, search_path: List[str]) -> List[str]:
    """Runs narrativeqa.py with NLTK searching `search_path`; returns what it tried to download."""
    attempted: List[str] = []
    monkeypatch.setattr(nltk, "download", lambda package, *_, **__: attempted.append(package))
    monkeypatch.setattr(nltk.data, "path", search_path)
    runpy.run_path(str(NARRATIVEQA))
    return attempted


def test_narrativeqa_downloads_at_import_without_punkt(monkeypatch, tmp_path):
    assert _downloads_at_import(monkeypatch, [str(tmp_path / "nltk_data")]) == ["punkt", "wordnet"]


def test_punkt_stub_stops_the_download(monkeypatch, tmp_path):
    path = ensure_punkt_stub(str(tmp_path))
    assert ensure_punkt_stub(str(tmp_path)) == path  # idempotent
    assert pathlib.Path(path) == tmp_path / "nltk_data" / "tokenizers" / "punkt"
    assert _downloads_at_import(monkeypatch, [str(tmp_path / "nltk_data")]) == []


def test_install_script_creates_the_stub_in_the_environment():
    # What puts the stub into the environment (`main` itself is tested in test_compat_versions).
    install = (REPO_ROOT / "scripts" / "install.sh").read_text()
    assert '"$VENV/bin/python" -W ignore -m allennlp_multilang_elmo.compat.nltk_data\n' in install
