"""Tables as text (aligned columns), Markdown or LaTeX (`tabular`), and stable JSON: the exports of
profiles and of `tapcount count`."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

__all__ = ["table", "to_json", "latex_escape", "markdown_escape"]

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$", "{": r"\{",
    "}": r"\}", ">": r"$>$", "<": r"$<$", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    "|": "$|$", "\n": " ", "\r": " ",
}
_LATEX_PATTERN = re.compile("|".join(map(re.escape, _LATEX_SPECIALS)))


def latex_escape(text: str) -> str:
    r"""Plain text as LaTeX text: every special character escaped, in one pass (so an escape is
    never escaped again), line breaks as spaces.

    >>> print(latex_escape(r"a_b^2 \ {x} ~50%"))
    a\_b\textasciicircum{}2 \textbackslash{} \{x\} \textasciitilde{}50\%
    """
    return _LATEX_PATTERN.sub(lambda match: _LATEX_SPECIALS[match.group()], text)


def markdown_escape(text: str) -> str:
    """Plain text as the content of a Markdown table cell: ``|`` and ``\\`` escaped, line breaks
    as spaces.

    >>> markdown_escape("a|b")
    'a\\\\|b'
    """
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _cell(value: object, fmt: str) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        if fmt == "latex":
            return f"${value:,}$".replace(",", "{,}")
        return f"{value:,}"
    if fmt == "latex":
        return latex_escape(str(value))
    return markdown_escape(str(value)) if fmt == "markdown" else str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], fmt: str) -> str:
    """``rows`` under ``headers`` as ``text`` (aligned columns), ``markdown`` or ``latex``
    (a ``tabular`` with ``booktabs`` rules; the first column is left-aligned, the others right)."""
    cells = [[_cell(v, fmt) for v in row] for row in rows]
    # numbers right-aligned, text left-aligned
    numeric = [i > 0 and any(isinstance(row[i], int) and not isinstance(row[i], bool) for row in rows)
               for i in range(len(headers))]
    if fmt == "markdown":
        lines = ["| " + " | ".join(markdown_escape(h) for h in headers) + " |",
                 "|" + "".join("---:|" if n else "---|" for n in numeric)]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines)
    if fmt == "latex":
        head = " & ".join(latex_escape(h) for h in headers)
        lines = [r"% needs \usepackage{booktabs}",
                 r"\begin{tabular}{" + "".join("r" if n else "l" for n in numeric) + "}", r"\toprule",
                 head + r" \\",
                 r"\midrule"]
        lines += [" & ".join(row) + r" \\" for row in cells]
        lines += [r"\bottomrule", r"\end{tabular}"]
        return "\n".join(lines)
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric, strict=True)).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(row) for row in cells)])


def to_json(document: object) -> str:
    """Stable, machine-readable JSON (sorted keys, two-space indent)."""
    return json.dumps(document, indent=2, sort_keys=True)
