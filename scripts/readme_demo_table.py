"""
Rewrites the demo table in README.md from a `make demo` run (default: output/demo/latest): the
test scores of `test_metrics.json` as `allennlp attachment-table` prints them, zero-shot languages
taken from the run's config. Run it after `make demo`:

    .venv/bin/python scripts/readme_demo_table.py
"""

import argparse
import os
import re

from allennlp_multilang_elmo.commands.attachment_table import (
    attachment_table,
    language_scores,
    read_metrics,
    training_languages,
)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- demo table: written by scripts/readme_demo_table.py -->"
END = "<!-- end of demo table -->"


def demo_table(run: str) -> str:
    metrics_file = os.path.join(run, "test_metrics.json")
    _, scores = language_scores(read_metrics(metrics_file), name=metrics_file)
    trained = training_languages(run)
    return attachment_table(scores, [language for language in scores if language not in trained])


def replace_table(readme: str, table: str) -> str:
    pattern = re.compile(re.escape(BEGIN) + r"\n.*?" + re.escape(END), re.DOTALL)
    if not pattern.search(readme):
        raise ValueError(f"README.md has no demo table between {BEGIN!r} and {END!r}")
    return pattern.sub(lambda _: f"{BEGIN}\n```\n{table}\n```\n{END}", readme)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", default=os.path.join(REPO_ROOT, "output", "demo", "latest"))
    parser.add_argument("--readme", default=os.path.join(REPO_ROOT, "README.md"))
    args = parser.parse_args()
    with open(args.readme, encoding="utf-8") as f:
        readme = f.read()
    updated = replace_table(readme, demo_table(args.run))
    temporary = args.readme + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(updated)
    os.replace(temporary, args.readme)
    print(f"README.md: demo table from {os.path.realpath(args.run)}")


if __name__ == "__main__":
    main()
