#!/usr/bin/env bash
# The tiny demo (`make demo-tiny`, under 2 minutes): cross-lingual dependency parsing trained on
# en+de+fr PUD and evaluated zero-shot on es and it, with tiny random ELMo models (one per
# language) and alignment matrices: the whole pipeline, none of the method. Every run gets its own
# folder under output/demo-tiny/ (output/demo-tiny/latest points at the newest). The console shows
# progress, one line per epoch and the final table; AllenNLP's log goes to the run's out.log.
set -euo pipefail
cd "$(dirname "$0")/.."
allennlp=.venv/bin/allennlp
quiet=(.venv/bin/python scripts/quiet_console.py)
elmo_dir=output/demo-tiny/elmo
if [ ! -f "$elmo_dir/it/weights.hdf5" ]; then
    "$allennlp" write-tiny-elmo "$elmo_dir" --languages en de fr es it >/dev/null 2>&1
    echo "demo-tiny: wrote tiny ELMo models and alignments to $elmo_dir"
fi
run=output/demo-tiny/run-$(date +%Y%m%d-%H%M%S)
echo "demo-tiny: training on en, de, fr into $run (log: $run/out.log)"
"$allennlp" train training_configs/demo_tiny.jsonnet -s "$run" 2>&1 | "${quiet[@]}" --run "$run"
ln -sfn "$(basename "$run")" output/demo-tiny/latest
echo "demo-tiny: evaluating on the test sets of all five languages"
"$allennlp" evaluate "$run/model.tar.gz" "data/ud-pud/*_pud-ud-test.conllu" \
    --output-file "$run/test_metrics.json" 2>&1 | "${quiet[@]}" --log "$run/out.log"
echo
"$allennlp" attachment-table "$run/test_metrics.json" 2>&1 | "${quiet[@]}" --log "$run/out.log"
echo
echo "demo-tiny: the model is $run/model.tar.gz (also output/demo-tiny/latest/model.tar.gz)."
echo "Parse a file with"
echo "  $allennlp parse output/demo-tiny/latest/model.tar.gz data/ud-pud/es_pud-ud-test.conllu --output-file es.conllu"
