"""The benchmark scripts still run (their numbers are read by people, not asserted)."""
import os
import runpy
import sys

from allennlp_multilang_elmo.testing.demo_config import REPO_ROOT


def test_embedder_overhead_benchmark_runs(monkeypatch, capsys):
    script = os.path.join(REPO_ROOT, "benchmarks", "embedder_overhead.py")
    monkeypatch.setattr(sys, "argv", [script, "--batches", "1", "--batch-size", "4"])
    runpy.run_path(script, run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[2:]] == ["one", "3", "parameters"]
    assert all(float(line.split()[-1]) > 0 for line in lines[2:])
