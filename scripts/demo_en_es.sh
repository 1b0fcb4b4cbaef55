#!/usr/bin/env bash
# The real demo: English to Spanish zero-shot dependency parsing with small real ELMo biLMs trained
# on the Bible (data/elmo-bible/, see scripts/train_elmo_bible.sh and scripts/align_elmo_bible.sh).
# Trains two parsers on English UD EWT (training_configs/demo_en_es.jsonnet): one reading ELMo and
# gold UPOS, one reading ELMo alone; evaluates both on English PUD and, zero-shot, on Spanish PUD
# with the Spanish biLM aligned onto the English one and without the alignment; prints one table.
# Each run gets a folder output/demo-en-es/run-<time>/ (output/demo-en-es/latest points at it).
set -euo pipefail
cd "$(dirname "$0")/.."
# One thread: on a busy 2-core machine torch's two OpenMP threads wait for each other.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
allennlp=.venv/bin/allennlp
quiet=(.venv/bin/python scripts/quiet_console.py)
root=output/demo-en-es
run=$root/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$run"
for pos in true false; do
    echo "demo-en-es: training the parser (UPOS input: $pos) on English EWT into $run/pos-$pos"
    DEMO_POS=$pos "$allennlp" train training_configs/demo_en_es.jsonnet -s "$run/pos-$pos" 2>&1 \
        | "${quiet[@]}" --run "$run/pos-$pos"
done
ln -sfn "$(basename "$run")" "$root/latest"
echo "demo-en-es: evaluating on English PUD and, zero-shot, on Spanish PUD"
.venv/bin/python scripts/demo_en_es_evaluate.py "$run/pos-true" "$run/pos-false" 2>>"$run/evaluate.log" \
    | tee "$run/table.md"
