"""Running the `allennlp` command line inside a test process."""

import sys

import pytest
from allennlp.commands import main


def run_cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    """Runs `allennlp ARGS` in this process (the CLI's import cost is paid once a test session)."""
    monkeypatch.setattr(sys, "argv", ["allennlp", *args])
    main(prog="allennlp")
