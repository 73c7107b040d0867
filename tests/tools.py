"""External programs some tests need (a TeX engine, a C compiler), found or skipped with a reason.

On a machine without them the tests that need them are skipped, with the package to install in
the reason.  Set ``TAPCOUNT_REQUIRE_TOOLS=1`` (CI does) to make a missing program a failure, so
that CI keeps compiling every document and every C export.
"""

import os
import shutil

import pytest

#: program -> what to install to get it (Debian package names)
INSTALL = {
    "pdflatex": "apt-get install texlive-latex-base texlive-latex-recommended texlive-pictures",
    "cc": "apt-get install gcc (or any C99 compiler as cc)",
}


def require(program: str) -> str:
    """The path of ``program``; skip the test (or fail it, under ``TAPCOUNT_REQUIRE_TOOLS=1``)
    when it is not on PATH."""
    path = shutil.which(program)
    if path is None:
        message = f"{program} is not installed: {INSTALL[program]}"
        if os.environ.get("TAPCOUNT_REQUIRE_TOOLS") == "1":
            pytest.fail(message + " (TAPCOUNT_REQUIRE_TOOLS=1 makes this a failure)")
        pytest.skip(message)
    return path
