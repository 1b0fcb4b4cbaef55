#!/usr/bin/env bash
# Aligns the Spanish Bible biLM (data/elmo-bible/es) onto the English one (data/elmo-bible/en):
# anchors of both on the held-out verses (allennlp elmo-anchors), a dictionary from the aligned
# verses plus identical strings (scripts/bible_alignment_inputs.py), then one Procrustes map per
# ELMo layer with CSLS refinement (allennlp elmo-align), evaluated by precision@1 on held-out
# dictionary pairs. Writes data/elmo-bible/dictionary.es-en.txt, data/elmo-bible/es/align.pth and
# its report data/elmo-bible/es/align.json. A few minutes on one CPU thread.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
allennlp=.venv/bin/allennlp
elmo=data/elmo-bible
work=output/elmo-bible/alignment
for file in "$elmo/dictionary.es-en.txt" "$elmo/es/align.pth"; do
    if [ -e "$file" ]; then
        echo "$file exists; remove it to align again" >&2
        exit 1
    fi
done
rm -rf "$work"
mkdir -p "$work"
.venv/bin/python scripts/bible_alignment_inputs.py --output-dir "$work" \
    --dictionary "$elmo/dictionary.es-en.txt"
for lang in en es; do
    "$allennlp" elmo-anchors "$elmo/$lang/options.json" "$elmo/$lang/weights.hdf5" \
        "$work/heldout.$lang.txt" --tokenized --output-dir "$work/anchors-$lang" --min-count 3 2>/dev/null
done
"$allennlp" elmo-align "$work/anchors-es" "$work/anchors-en" --dictionary "$elmo/dictionary.es-en.txt" \
    --refinement 3 --validation 0 --keep-identical-test-pairs --output "$elmo/es/align.pth" 2>/dev/null
