#!/usr/bin/env bash
# Trains the biLMs of data/elmo-libreoffice/ (issue 15): one per language, all of one geometry
# (training_configs/elmo_bilm.jsonnet), on the running text of LibreOffice's help, and exports each
# to data/elmo-libreoffice/<lang>/{options.json,weights.hdf5} with training.json (time, tokens/s,
# held-out perplexity). Every 50th line of TEXT_DIR/<lang>.txt is held out for validation.
# TEXT_DIR is what scripts/libreoffice_from_debian.py writes. About 15-20 minutes a language on one
# CPU thread (5 epochs).
#
#   scripts/train_elmo_libreoffice.sh TEXT_DIR [LANG ...]     (default: en de es fr it pt sv)
#
# A run interrupted is resumed where it stopped (its folder output/elmo-libreoffice/run-<lang> is
# kept); existing exports are not overwritten: remove them first.
set -euo pipefail
text_dir=${1:?usage: $0 TEXT_DIR [LANG ...]}
shift
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
if [ $# -gt 0 ]; then languages=("$@"); else languages=(en de es fr it pt sv); fi
for lang in "${languages[@]}"; do
    target=data/elmo-libreoffice/$lang
    if [ -e "$target/weights.hdf5" ]; then
        echo "$target/weights.hdf5 exists; remove it to train again" >&2
        exit 1
    fi
    run=output/elmo-libreoffice/run-$lang
    split=output/elmo-libreoffice/text-$lang
    mkdir -p "$split"
    awk 'NR % 50 != 0' "$text_dir/$lang.txt" >"$split/train.txt"
    awk 'NR % 50 == 0' "$text_dir/$lang.txt" >"$split/valid.txt"
    if [ ! -e "$run/metrics.json" ]; then
        recover=()
        if [ -e "$run" ]; then recover=(--recover); fi
        echo "training the $lang biLM into $run (log: $run/out.log)"
        BILM_LANGUAGE=$lang BILM_TRAIN=$split/train.txt BILM_VALIDATION=$split/valid.txt \
            .venv/bin/allennlp train training_configs/elmo_bilm.jsonnet -s "$run" \
            -o '{"trainer.num_epochs": 5}' "${recover[@]}" >/dev/null 2>&1 \
            || { echo "training failed: see $run/out.log" >&2; exit 1; }
    fi
    .venv/bin/allennlp elmo-export "$run/model.tar.gz" "$target" 2>/dev/null
    .venv/bin/python scripts/bilm_training_summary.py "$run" "$target" | tee "$target/training.json"
done
