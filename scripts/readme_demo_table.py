"""
Rewrites the demo table in README.md from a `make demo` run (default: output/demo/latest): the
Markdown table that `scripts/demo_en_es_evaluate.py` wrote to the run's `table.md`. Run it after
`make demo`:

    .venv/bin/python scripts/readme_demo_table.py
"""

import argparse
import os
import re

from allennlp_multilang_elmo.common.atomic_files import atomic_file

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- demo table: written by scripts/readme_demo_table.py -->"
END = "<!-- end of demo table -->"


def demo_table(run: str) -> str:
    path = os.path.join(run, "table.md")
    with open(path, encoding="utf-8") as f:
        table = f.read().strip()
    if not table.startswith("| parser input |"):
        raise ValueError(f"{path} is not a demo table (see scripts/demo_en_es_evaluate.py)")
    return table


def replace_table(readme: str, table: str) -> str:
    pattern = re.compile(re.escape(BEGIN) + r"\n.*?" + re.escape(END), re.DOTALL)
    if not pattern.search(readme):
        raise ValueError(f"README.md has no demo table between {BEGIN!r} and {END!r}")
    return pattern.sub(lambda _: f"{BEGIN}\n{table}\n{END}", readme)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", default=os.path.join(REPO_ROOT, "output", "demo", "latest"))
    parser.add_argument("--readme", default=os.path.join(REPO_ROOT, "README.md"))
    args = parser.parse_args()
    with open(args.readme, encoding="utf-8") as f:
        readme = f.read()
    updated = replace_table(readme, demo_table(args.run))
    with atomic_file(args.readme) as temporary, open(temporary, "w", encoding="utf-8") as f:
        f.write(updated)
    print(f"README.md: demo table from {os.path.realpath(args.run)}")


if __name__ == "__main__":
    main()
