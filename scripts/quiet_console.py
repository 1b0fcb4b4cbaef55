"""
Shows the console output of an `allennlp` command (stdout and stderr merged, on stdin) the way the
demo wants it: progress bars (their metrics cut to loss and the averages), warnings, errors and
anything that is not an AllenNLP INFO log record pass through; INFO records (the configuration,
the per-epoch metric tables) are dropped, since AllenNLP keeps them in the run's `out.log`. With
`--run`, each finished epoch is summarised in one line from its `metrics_epoch_<n>.json`; with
`--log`, everything read is also appended to that file. The data loader's "loading instances" bars
and blank lines are dropped.

    allennlp train CONFIG -s RUN 2>&1 | python scripts/quiet_console.py --run RUN
"""

import argparse
import glob
import json
import os
import re
import sys
from typing import BinaryIO, Dict, Optional

_TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - ")
_RECORD = re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - (\w+) - [\w.]+ - (.*)")
_TQDM = re.compile(rb"\d+%\||\d+it \[|it/s\]|s/it\]")
_SHOWN_METRICS = re.compile(rb"(?:^|, )((?:loss|LAS_AVG|UPOS_AVG): [-\d.]+)")
# AllenNLP's advice for the `pos` namespace, which the readers use (as allennlp-models' reader
# does): its padding and out-of-vocabulary entries are wanted here, since the parser reads an
# out-of-vocabulary tag as a missing one. The warning stays in out.log.
_EXPECTED_WARNINGS = (b"Your label namespace was 'pos'. We recommend you use a namespace ending",)


def _short_progress(segment: bytes) -> bytes:
    """A training progress bar with only loss, LAS_AVG and UPOS_AVG of its metrics."""
    if b" ||" not in segment:
        return segment
    metrics, bar = segment.split(b" ||", 1)
    prefix = metrics[: len(metrics) - len(metrics.lstrip(b"\r\n"))]
    shown = b", ".join(_SHOWN_METRICS.findall(metrics))
    return prefix + shown + b" ||" + bar


def _epoch_summary(run: str) -> Optional[str]:
    files = glob.glob(os.path.join(run, "metrics_epoch_*.json"))
    if not files:
        return None
    latest = max(files, key=lambda f: int(re.findall(r"(\d+)\.json$", f)[0]))
    with open(latest) as f:
        metrics: Dict[str, float] = json.load(f)
    percent = {k: 100 * v for k, v in metrics.items() if isinstance(v, (int, float))}
    line = (
        f"epoch {metrics['epoch']}: loss {metrics.get('training_loss', float('nan')):.3f} "
        f"(validation {metrics.get('validation_loss', float('nan')):.3f}); validation "
        + ", ".join(
            f"{name} {percent[f'validation_{name}']:.1f}"
            for name in ("UAS_AVG", "LAS_AVG", "UPOS_AVG")
            if f"validation_{name}" in percent
        )
    )
    per_language = sorted(
        k[len("validation_LAS_") :]
        for k in percent
        if k.startswith("validation_LAS_") and not k.endswith("_AVG")
    )
    if per_language:
        line += "; LAS " + " ".join(
            f"{language} {percent[f'validation_LAS_{language}']:.1f}" for language in per_language
        )
    return line


def filter_console(source: BinaryIO, out: BinaryIO, run: Optional[str], log: Optional[BinaryIO]):
    dropping = False
    pending = b""
    while True:
        chunk = source.read1(4096) if hasattr(source, "read1") else source.read(4096)
        if log is not None and chunk:
            log.write(chunk)
        pending += chunk
        # Complete segments end in "\n" (a line) or "\r" (a progress bar update).
        while True:
            ends = [i for i in (pending.find(b"\n"), pending.find(b"\r")) if i >= 0]
            if not ends:
                break
            end = min(ends) + 1
            if pending[end - 1 : end] == b"\r" and pending[end : end + 1] == b"\n":
                end += 1
            segment, pending = pending[:end], pending[end:]
            timestamp = _TIMESTAMP.search(segment)
            if timestamp and timestamp.start() > 0:
                # A log record written right after a progress bar update, on its line.
                out.write(_short_progress(segment[: timestamp.start()]))
                segment = segment[timestamp.start() :]
            text = segment.strip(b"\r\n")
            record = _RECORD.match(text)
            if record:
                level, message = record.groups()
                dropping = level in (b"INFO", b"DEBUG") or any(
                    message.startswith(expected) for expected in _EXPECTED_WARNINGS
                )
                if not dropping:
                    out.write(segment)
                elif run and message.startswith(b"Epoch duration"):
                    summary = _epoch_summary(run)
                    if summary:
                        out.write(summary.encode() + b"\n")
            elif _TQDM.search(segment):
                dropping = False
                if b"loading instances" not in segment:  # the data loader's inner bar
                    out.write(_short_progress(segment))
            elif segment == b"\n":
                continue  # blank lines: the line feeds of nested progress bars
            elif dropping and text and (segment[:1].isspace() or text in (b"}", b"]")):
                continue  # a line that continues a dropped record (e.g. evaluate's JSON)
            else:
                dropping = False
                out.write(segment)
            out.flush()
        if not chunk:
            if pending:
                out.write(pending)
            out.flush()
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", help="serialization folder whose epoch metrics to summarise")
    parser.add_argument("--log", help="append everything read to this file")
    args = parser.parse_args()
    log = open(args.log, "ab") if args.log else None
    try:
        filter_console(sys.stdin.buffer, sys.stdout.buffer, args.run, log)
    finally:
        if log is not None:
            log.close()


if __name__ == "__main__":
    main()
