#!/usr/bin/env bash
# The demo: cross-lingual dependency parsing trained on en+de+fr PUD and evaluated zero-shot on es
# and it, with tiny generated ELMo models (one per language) and alignment matrices. Every run gets
# its own folder under output/demo/, so earlier results are never overwritten.
set -euo pipefail
cd "$(dirname "$0")/.."
allennlp=.venv/bin/allennlp
elmo_dir=output/demo/elmo
if [ ! -f "$elmo_dir/it/weights.hdf5" ]; then
    "$allennlp" write-tiny-elmo "$elmo_dir" --languages en de fr es it >/dev/null
    echo "demo: wrote tiny ELMo models and alignments to $elmo_dir"
fi
run=output/demo/run-$(date +%Y%m%d-%H%M%S)
"$allennlp" train training_configs/demo_zero_shot.jsonnet -s "$run"
"$allennlp" evaluate "$run/model.tar.gz" "data/ud-pud/*_pud-ud-test.conllu" \
    --output-file "$run/test_metrics.json"
echo
echo "Test sets of UD PUD ($run/test_metrics.json):"
"$allennlp" attachment-table "$run/test_metrics.json" --zero-shot es it
