#!/usr/bin/env bash
# The demo (`make demo`): English to Spanish zero-shot dependency parsing with small real ELMo
# biLMs trained on the Bible (data/elmo-bible/, see scripts/train_elmo_bible.sh and
# scripts/align_elmo_bible.sh). Trains two parsers on English UD EWT
# (training_configs/demo_en_es.jsonnet): one reading ELMo and gold UPOS (with a UPOS tagger for
# untagged input), one reading ELMo alone; evaluates both on English PUD and, zero-shot, on Spanish
# PUD with the Spanish biLM aligned onto the English one and without the alignment; prints one
# table and parses a raw Spanish sentence. Each run gets a folder output/demo/run-<time>/
# (output/demo/latest points at the newest); AllenNLP's logs go to its out.log files.
set -euo pipefail
cd "$(dirname "$0")/.."
# One thread: on a busy 2-core machine torch's two OpenMP threads wait for each other.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
allennlp=.venv/bin/allennlp
quiet=(.venv/bin/python scripts/quiet_console.py)
run=output/demo/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$run"
start=$SECONDS
for pos in true false; do
    if [ "$pos" = true ]; then input="ELMo + UPOS"; else input="ELMo alone"; fi
    echo "demo: training a parser on English EWT ($input) into $run/pos-$pos"
    DEMO_POS=$pos "$allennlp" train training_configs/demo_en_es.jsonnet -s "$run/pos-$pos" 2>&1 \
        | "${quiet[@]}" --run "$run/pos-$pos"
done
ln -sfn "$(basename "$run")" output/demo/latest
echo "demo: evaluating on English PUD and, zero-shot, on Spanish PUD (aligned and not)"
.venv/bin/python scripts/demo_en_es_evaluate.py "$run/pos-true" "$run/pos-false" \
    2>>"$run/evaluate.log" | tee "$run/table.md"
echo
echo "demo: a raw Spanish sentence, parsed with the tagger's UPOS (the parser never saw Spanish):"
echo "El gato duerme en el sofá porque está cansado." >"$run/raw_es.txt"
"$allennlp" parse "$run/pos-true/model.tar.gz" "$run/raw_es.txt" --lang es --input-format text \
    --output-file "$run/raw_es.conllu" 2>&1 | "${quiet[@]}" --log "$run/pos-true/out.log"
cut -f 1-4,7,8 "$run/raw_es.conllu"
echo "demo: done in $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s." \
    "The models are $run/pos-{true,false}/model.tar.gz"
echo "(also output/demo/latest/pos-{true,false}/model.tar.gz; each holds its ELMo files). Parse with"
echo "  $allennlp parse output/demo/latest/pos-true/model.tar.gz data/ud-pud/es_pud-ud-test.conllu --output-file es.conllu"
