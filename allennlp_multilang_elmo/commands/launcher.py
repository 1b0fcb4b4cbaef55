"""
The `allennlp` command that `make install` writes into the virtual environment: AllenNLP's command
line with this package loaded, a quiet console for this package's commands (warnings and errors
only, unless `ALLENNLP_LOG_LEVEL` says otherwise), and user errors (bad arguments, missing or
malformed files, unknown languages) as one line, `Error: ...`, with exit status 1. `--debug`
anywhere on the command line shows the full traceback instead. For `parse`, `evaluate` and
`predict` the script that calls `main` also sets `OMP_WAIT_POLICY=PASSIVE` (unless set) before
torch is imported (README: Parsing files).
"""

import os
import sys
from typing import List, Optional

QUIET_COMMANDS = {
    "attachment-table",
    "elmo-add-language",
    "elmo-align",
    "elmo-align-parallel",
    "elmo-anchors",
    "elmo-dictionary",
    "elmo-embed",
    "elmo-export",
    "parse",
    "write-tiny-elmo",
}
"""This package's commands: their console shows warnings, errors and their own results only."""


def main(argv: Optional[List[str]] = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    arguments = [argument for argument in arguments if argument != "--debug"]
    if arguments and arguments[0] in QUIET_COMMANDS:
        # Read by AllenNLP when its logging is set up (importing `allennlp.__main__`).
        os.environ.setdefault("ALLENNLP_LOG_LEVEL", "WARNING")
    sys.argv = [sys.argv[0], *arguments]

    from allennlp.__main__ import run
    from allennlp.common.checks import ConfigurationError

    try:
        run()
    except (ConfigurationError, ValueError, OSError) as error:
        if debug:
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"Error: {message} (--debug shows where)", file=sys.stderr)
        return 1
    return 0
