#!/usr/bin/env bash
# Trains the small English and Spanish ELMo biLMs on the Bible (training_configs/elmo_bible.jsonnet)
# and exports them to data/elmo-bible/<lang>/{options.json,weights.hdf5}; prints each one's training
# time, tokens/s and held-out perplexity. About 12 minutes per language on one CPU thread.
#
#   scripts/train_elmo_bible.sh [LANG ...]     (default: en es)
#
# One thread: on a shared 2-core machine torch's two OpenMP threads wait for each other and run
# several times slower than one. Existing exports are not overwritten: remove them first.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
if [ $# -gt 0 ]; then languages=("$@"); else languages=(en es); fi
for lang in "${languages[@]}"; do
    target=data/elmo-bible/$lang
    if [ -e "$target" ]; then
        echo "$target exists; remove it to train again" >&2
        exit 1
    fi
    run=output/elmo-bible/run-$lang-$(date +%Y%m%d-%H%M%S)
    echo "training the $lang biLM into $run (log: $run/out.log)"
    BILM_LANGUAGE=$lang .venv/bin/allennlp train training_configs/elmo_bible.jsonnet -s "$run" \
        >/dev/null 2>&1 || { echo "training failed: see $run/out.log" >&2; exit 1; }
    .venv/bin/allennlp elmo-export "$run/model.tar.gz" "$target" 2>/dev/null
    .venv/bin/python scripts/bilm_training_summary.py "$run" "$target" | tee "$target/training.json"
done
