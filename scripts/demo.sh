#!/usr/bin/env bash
# The demo: cross-lingual dependency parsing trained on en+de+fr PUD and evaluated zero-shot on es
# and it, with tiny generated ELMo models (one per language) and alignment matrices. Every run gets
# its own folder under output/demo/ (output/demo/latest points at the newest), so earlier results
# are never overwritten. The console shows progress, one line per epoch and the final table; the
# full AllenNLP log goes to the run folder's out.log.
set -euo pipefail
cd "$(dirname "$0")/.."
allennlp=.venv/bin/allennlp
quiet=(.venv/bin/python scripts/quiet_console.py)
elmo_dir=output/demo/elmo
if [ ! -f "$elmo_dir/it/weights.hdf5" ]; then
    "$allennlp" write-tiny-elmo "$elmo_dir" --languages en de fr es it >/dev/null 2>&1
    echo "demo: wrote tiny ELMo models and alignments to $elmo_dir"
fi
run=output/demo/run-$(date +%Y%m%d-%H%M%S)
echo "demo: training on en, de, fr into $run (log: $run/out.log)"
"$allennlp" train training_configs/demo_zero_shot.jsonnet -s "$run" 2>&1 | "${quiet[@]}" --run "$run"
ln -sfn "$(basename "$run")" output/demo/latest
echo "demo: evaluating on the test sets of all five languages"
"$allennlp" evaluate "$run/model.tar.gz" "data/ud-pud/*_pud-ud-test.conllu" \
    --output-file "$run/test_metrics.json" 2>&1 | "${quiet[@]}" --log "$run/out.log"
echo
"$allennlp" attachment-table "$run/test_metrics.json" 2>&1 | "${quiet[@]}" --log "$run/out.log"
echo
echo "demo: a raw Spanish sentence, parsed with the tagger's UPOS (the model never saw Spanish):"
echo "El gato duerme en el sofá porque está cansado." > "$run/raw_es.txt"
"$allennlp" parse "$run/model.tar.gz" "$run/raw_es.txt" --lang es --input-format text \
    --output-file "$run/raw_es.conllu" 2>&1 | "${quiet[@]}" --log "$run/out.log"
cut -f 1-4,7,8 "$run/raw_es.conllu"
echo "demo: the model is $run/model.tar.gz (also output/demo/latest/model.tar.gz). Parse a file with"
echo "  $allennlp parse output/demo/latest/model.tar.gz data/ud-pud/es_pud-ud-test.conllu --output-file es.conllu"
