#!/usr/bin/env bash
# Creates .venv with AllenNLP 2.10.1 + allennlp-models 2.10.1 on Python 3.11 / torch 2.14.1 and this
# plugin, from the pinned set in requirements/. Idempotent: a stamp holding the hash of the requirement
# files skips the work when nothing changed. PYTHON picks the interpreter (default python3.11).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
VENV=${VENV:-.venv}
C=requirements/constraints.txt
stamp="$VENV/.installed-$(cat scripts/install.sh requirements/*.txt pyproject.toml | sha256sum | cut -c1-16)"
if [ -f "$stamp" ]; then
    echo "install: $VENV is up to date"
    exit 0
fi
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), sys.version' \
    || { echo "install: Python >= 3.11 is needed (set PYTHON=...)" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
pip=("$VENV/bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" install -q -c "$C" torch torchvision
# allennlp's own metadata pins torch<1.13, spacy<3.4, transformers<4.21: unsatisfiable on 3.11.
"${pip[@]}" install -q --no-deps -c "$C" allennlp allennlp-models
"${pip[@]}" install -q --only-binary=:all: -c "$C" -r requirements/runtime.txt -r requirements/dev.txt
# sdist-only packages; fairscale's setup imports torch, so it must see the installed one.
"${pip[@]}" install -q -c "$C" word2number
"${pip[@]}" install -q --no-deps --no-build-isolation -c "$C" fairscale
"${pip[@]}" install -q --no-deps --no-build-isolation -e .
# allennlp-models calls nltk.download at import unless punkt is found: an empty stub in the venv
# keeps every CLI start offline (see allennlp_multilang_elmo/compat/nltk_data.py).
"$VENV/bin/python" -W ignore -m allennlp_multilang_elmo.compat.nltk_data
rm -f "$VENV"/.installed-*
touch "$stamp"
echo "install: done ($("$VENV/bin/python" -c 'import torch, allennlp.version as v; print("torch", torch.__version__, "allennlp", v.VERSION)'))"
