"""The speed benchmark still runs, and the engine it times agrees with AllenNLP's `Elmo` there."""

import os
import runpy
import sys

import pytest
from helpers.demo_training import REPO_ROOT


def test_elmo_speed_benchmark_runs_on_tiny_models(monkeypatch, capsys, tmp_path):
    script = os.path.join(REPO_ROOT, "benchmarks", "elmo_speed.py")
    arguments = ["--geometry", "tiny", "--repeats", "1", "--no-memory", "--threads", "1"]
    arguments += ["--cases", "paper,learned,training", "--model-dir", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", [script, *arguments])
    runpy.run_path(script, run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert set(rows) == {"paper", "learned", "training"}
    for case, row in rows.items():
        # Columns: Elmo tok/s, ours tok/s, ratio, max diff, ...
        assert float(row[4]) <= 1e-5, case
        assert float(row[1]) > 0 and float(row[2]) > 0


def test_recurrent_product_benchmark_runs(monkeypatch, capsys):
    script = os.path.join(REPO_ROOT, "benchmarks", "recurrent_product.py")
    monkeypatch.setattr(sys, "argv", [script, "--rows", "2", "--threads", "1"])
    runpy.run_path(script, run_name="__main__")
    header, row = capsys.readouterr().out.splitlines()
    assert "baddbmm" in header and "MKL packed" in header
    threads, rows, *rates = row.split()
    assert (threads, rows) == ("1", "2")
    assert all(float(rate.rstrip("%")) > 0 for rate in rates)


def test_bilm_training_speed_benchmark_runs(monkeypatch, capsys):
    script = os.path.join(REPO_ROOT, "benchmarks", "bilm_training.py")
    arguments = ["speed", "--geometries", "shipped", "--rounds", "1", "--batches", "1"]
    monkeypatch.setattr(sys, "argv", [script, *arguments])
    monkeypatch.syspath_prepend(os.path.dirname(script))
    runpy.run_path(script, run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("matrix-product rate, one thread:")
    row = [cell.strip() for cell in lines[-1].strip("|").split("|")]
    assert row[0] == "shipped" and row[3] == "1.00x"
    assert float(row[2].replace(",", "")) > 0


@pytest.mark.parametrize("case", ["speed", "epoch"])
def test_bilm_training_benchmarks_refuse_a_folder_that_is_no_checkout(monkeypatch, tmp_path, case):
    script = os.path.join(REPO_ROOT, "benchmarks", "bilm_training.py")
    monkeypatch.setattr(sys, "argv", [script, case, "--engines", REPO_ROOT, str(tmp_path)])
    monkeypatch.syspath_prepend(os.path.dirname(script))
    with pytest.raises(SystemExit, match=f"--engines {tmp_path}: not a checkout"):
        runpy.run_path(script, run_name="__main__")
