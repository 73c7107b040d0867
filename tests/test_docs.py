"""Every example of the README and of docs/ runs, and prints what the page says it prints: the
Python examples as doctests, the command lines in ```console blocks run and compared line by line."""

import doctest
import re
from pathlib import Path

import pytest

from tests.helpers import tapcount

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_examples_run(page):
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS
                              | doctest.NORMALIZE_WHITESPACE, verbose=False, report=True)
    assert result.failed == 0


def _console_blocks(page: Path):
    for block in re.findall(r"```console\n(.*?)```", page.read_text(), flags=re.S):
        command, _, printed = block.partition("\n")
        assert command.startswith("$ tapcount "), command
        yield command[len("$ tapcount "):], printed.rstrip("\n").splitlines()


@pytest.mark.parametrize("page", [p for p in PAGES if "```console" in p.read_text()], ids=lambda p: p.name)
def test_command_lines_print_what_the_page_shows(page, monkeypatch):
    monkeypatch.chdir(ROOT)
    for arguments, printed in _console_blocks(page):
        lines = tapcount(*arguments.split()).stdout.rstrip("\n").splitlines()
        if "..." in printed:  # an elided middle: the first and the last lines shown
            head = printed[:printed.index("...")]
            tail = printed[printed.index("...") + 1:]
            assert lines[:len(head)] == head and lines[len(lines) - len(tail):] == tail, arguments
        else:
            assert lines == printed, arguments


def test_the_conventions_page_lists_the_table_of_conventions():
    from analytic.core.conventions import TABLE

    page = (ROOT / "docs" / "conventions.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", page, flags=re.M)
    assert [(name, by.strip(), what.strip(), backward.strip() == "counted")
            for name, by, what, backward in rows[:len(TABLE)]] == [
        (c.name, c.reported_by, c.counts, c.backward) for c in TABLE]
