# The two commands of the README: `make demo` (train + zero-shot evaluation on the shipped data)
# and `make test`. Both install the pinned environment into .venv first (a no-op when up to date).
.PHONY: install demo demo-tiny replicate test test-fast lint

install:
	bash scripts/install.sh

demo: install
	bash scripts/demo.sh

# The tiny random-ELMo demo of the whole pipeline (under 2 minutes; the test suite trains it too).
demo-tiny: install
	bash scripts/demo_tiny.sh

# The paper's zero-shot table on the shipped LibreOffice biLMs (scripts/replicate.py; hours, not the demo).
replicate: install
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/python scripts/replicate.py

test: install
	.venv/bin/python -m pytest

# ruff (lint and formatting, line length 100) and mypy on the package, as configured in pyproject.toml.
lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

# The unit tier for the inner loop (under two minutes): the suite without its end-to-end tests.
test-fast: install
	.venv/bin/python -m pytest -m "not end_to_end"
