"""
The `allennlp` command of the virtual environment (`commands/launcher.py`, written by
`scripts/install.sh`): user errors as one line, the traceback with `--debug`, a quiet console for
this package's commands, and help texts that give each default once.
"""

import re
import subprocess

import pytest
from helpers.cli import run_cli
from helpers.demo_training import ALLENNLP, OFFLINE

from allennlp_multilang_elmo.commands.launcher import QUIET_COMMANDS


def allennlp(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([ALLENNLP, *args], cwd=cwd, env=OFFLINE, capture_output=True, text=True)


@pytest.mark.end_to_end
def test_a_user_error_is_one_line_and_debug_shows_the_traceback(tmp_path):
    arguments = ["parse", "missing.tar.gz", "in.conllu", "--output-file", "out.conllu"]
    result = allennlp(*arguments, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: missing.tar.gz: no such model archive (--debug shows where)"
    ]
    debug = allennlp(*arguments, "--debug", cwd=tmp_path)
    assert debug.returncode == 1 and "Traceback" in debug.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("command", sorted(QUIET_COMMANDS))
def test_help_gives_each_default_once(command, monkeypatch, capsys):
    with pytest.raises(SystemExit):
        run_cli(monkeypatch, command, "--help")
    text = " ".join(capsys.readouterr().out.split())
    options = re.split(r" (?=--?[a-z])", text)
    assert not [option for option in options if len(re.findall(r"\(default", option)) > 1]
