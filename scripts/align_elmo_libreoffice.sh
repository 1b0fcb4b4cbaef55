#!/usr/bin/env bash
# Aligns the biLMs of data/elmo-libreoffice/ onto the English one (issue 15) from the
# paragraph-parallel LibreOffice help (allennlp elmo-align-parallel: eflomal word alignment both
# ways, intersected; one Procrustes map per ELMo layer from the aligned tokens' vectors), with
# precision@1 measured on FreeDict pairs that are not identical strings, retrieving among each
# biLM's anchors over its whole help text (allennlp elmo-anchors, tokenised by the language's
# rules as the biLM's training text was). Also writes the co-occurrence seed dictionary of the
# paragraph pairs (allennlp elmo-dictionary), the seed of the anchor-based alternative
# (allennlp elmo-align; the README compares the two). Writes
# data/elmo-libreoffice/<lang>/{align.pth,align.json,dictionary.<lang>-en.txt}. TEXT_DIR is what
# scripts/libreoffice_from_debian.py writes. About 3 minutes a language on one CPU thread.
#
#   scripts/align_elmo_libreoffice.sh TEXT_DIR [LANG ...]     (default: de es fr it pt sv)
#
# Existing alignments are not overwritten: remove them first. Anchors are kept in
# output/elmo-libreoffice/anchors-<lang> and reused.
set -euo pipefail
text_dir=${1:?usage: $0 TEXT_DIR [LANG ...]}
shift
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
allennlp=.venv/bin/allennlp
elmo=data/elmo-libreoffice
work=output/elmo-libreoffice
if [ $# -gt 0 ]; then languages=("$@"); else languages=(de es fr it pt sv); fi
anchors() {
    if [ ! -e "$work/anchors-$1/anchors.json" ]; then
        echo "anchors of $1 in $work/anchors-$1"
        "$allennlp" elmo-anchors "$elmo/$1/options.json" "$elmo/$1/weights.hdf5" "$text_dir/$1.txt" \
            --language "$1" --min-count 3 --output-dir "$work/anchors-$1" 2>/dev/null
    fi
}
anchors en
for lang in "${languages[@]}"; do
    if [ -e "$elmo/$lang/align.pth" ]; then
        echo "$elmo/$lang/align.pth exists; remove it to align again" >&2
        exit 1
    fi
    anchors "$lang"
    "$allennlp" elmo-dictionary "$text_dir/parallel/en-$lang.tsv" --columns 1 0 \
        --languages "$lang" en --output "$elmo/$lang/dictionary.$lang-en.txt" 2>/dev/null
    echo "aligning $lang onto en"
    "$allennlp" elmo-align-parallel "$elmo/$lang/options.json" "$elmo/$lang/weights.hdf5" \
        "$elmo/en/options.json" "$elmo/en/weights.hdf5" "$text_dir/parallel/en-$lang.tsv" \
        --columns 1 0 --languages "$lang" en \
        --dictionary "$text_dir/dict/$lang-en.merged.tsv" \
        --anchors "$work/anchors-$lang" "$work/anchors-en" \
        --output "$elmo/$lang/align.pth" 2>/dev/null
done
