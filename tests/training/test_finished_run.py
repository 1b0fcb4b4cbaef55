"""`allennlp train --recover` of a finished run says so and changes nothing (compat patch B14)."""

import shutil
import subprocess

import pytest
from helpers.demo_training import ALLENNLP, OFFLINE, REPO_ROOT

pytestmark = pytest.mark.end_to_end


def test_recovering_a_finished_run_changes_nothing(tiny_demo_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_demo_run, run)
    results = {name: (run / name).read_bytes() for name in ("metrics.json", "model.tar.gz")}
    result = subprocess.run(
        [ALLENNLP, "train", str(run / "config.json"), "-s", str(run), "--recover"],
        cwd=REPO_ROOT,
        env=OFFLINE,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "holds a finished run" in result.stderr and "nothing was changed" in result.stderr
    assert "Traceback" not in result.stderr
    assert {name: (run / name).read_bytes() for name in results} == results
