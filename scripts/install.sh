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
# --no-warn-conflicts: allennlp's own metadata pins torch<1.13, spacy<3.4, transformers<4.21, which
# cannot be met on Python 3.11, so every install beside it would print pip's resolver ERROR block
# about them. `pip check` at the end stands in: it allows exactly those and fails on anything else.
pip=("$VENV/bin/python" -m pip --disable-pip-version-check)
install=("${pip[@]}" install -q --no-warn-conflicts)
"${install[@]}" -c "$C" torch torchvision
"${install[@]}" --no-deps -c "$C" allennlp allennlp-models
"${install[@]}" --only-binary=:all: -c "$C" -r requirements/runtime.txt -r requirements/dev.txt
# sdist-only packages; fairscale's setup imports torch, so it must see the installed one.
"${install[@]}" -c "$C" word2number
"${install[@]}" --no-deps --no-build-isolation -c "$C" fairscale
"${install[@]}" --no-deps --no-build-isolation -e .
# Only allennlp's and allennlp-models' own pins may be unmet (they are installed without them).
unexpected=$("${pip[@]}" check | grep -Ev '^allennlp(-models)? 2\.10\.1 (requires|has requirement) ' || true)
if [ -n "$unexpected" ]; then
    echo "install: pip check found unexpected problems:" >&2
    echo "$unexpected" >&2
    exit 1
fi
site_packages=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# Upstream import-time warnings that say nothing to our users, filtered by their exact messages
# at interpreter start (a .pth line starting with `import` runs then): fairscale's use of
# torch.cuda.amp decorators, torch.jit.script's deprecation (hit by AllenNLP's imports) and
# pkg_resources' deprecation (py-rouge, via allennlp-models).
"$VENV/bin/python" - "$site_packages/allennlp_multilang_elmo_quiet_imports.pth" <<'PYTHON'
import re, sys
filters = [
    ("`torch.cuda.amp.custom_fwd(args...)` is deprecated. Please use "
     "`torch.amp.custom_fwd(args..., device_type='cuda')` instead.", "FutureWarning", r"fairscale\."),
    ("`torch.cuda.amp.custom_bwd(args...)` is deprecated. Please use "
     "`torch.amp.custom_bwd(args..., device_type='cuda')` instead.", "FutureWarning", r"fairscale\."),
    ("`torch.jit.script` is deprecated. Please switch to `torch.compile` or `torch.export`.",
     "FutureWarning", r"torch\.jit\."),
    ("pkg_resources is deprecated as an API.", "UserWarning", r"rouge\."),
]
with open(sys.argv[1], "w") as pth:
    for message, category, module in filters:
        pth.write(
            f"import warnings; warnings.filterwarnings('ignore', {re.escape(message)!r}, "
            f"{category}, {module!r})\n"
        )
PYTHON
# AllenNLP finds plugins only through `.allennlp_plugins` in the working folder or the user-wide
# ~/.allennlp/plugins. This venv's `allennlp` command loads the plugin itself instead, so our
# commands and components work from any folder, and nothing outside the venv changes.
cat > "$VENV/bin/allennlp" <<LAUNCHER
#!$(cd "$VENV" && pwd)/bin/python
# Written by scripts/install.sh: AllenNLP's command with allennlp_multilang_elmo loaded, a quiet
# console for its commands and one-line user errors (allennlp_multilang_elmo/commands/launcher.py).
import os
import sys
# Before torch loads OpenMP: waiting threads sleep instead of spinning, so that torch's threads
# never slow down a machine with other work (README: Parsing files, for the measured figures).
if sys.argv[1:2] in (["parse"], ["evaluate"], ["predict"]):
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
from allennlp_multilang_elmo.commands.launcher import main
if __name__ == "__main__":
    sys.exit(main())
LAUNCHER
chmod +x "$VENV/bin/allennlp"
# allennlp-models calls nltk.download at import unless punkt is found: an empty stub in the venv
# keeps every CLI start offline (see allennlp_multilang_elmo/compat/nltk_data.py).
"$VENV/bin/python" -W ignore -m allennlp_multilang_elmo.compat.nltk_data
rm -f "$VENV"/.installed-*
touch "$stamp"
echo "install: done ($("$VENV/bin/python" -c 'import torch, allennlp.version as v; print("torch", torch.__version__, "allennlp", v.VERSION)'))"
