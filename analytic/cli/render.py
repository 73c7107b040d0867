"""Rendering of tables (text, Markdown, LaTeX ``tabular``) and JSON for the command line."""

from __future__ import annotations

import json
from collections.abc import Sequence

__all__ = ["table", "to_json", "latex_escape"]


def latex_escape(text: str) -> str:
    """Escape the LaTeX specials of plain text."""
    for char, repl in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"),
                       ("#", r"\#"), ("$", r"\$"), ("{", r"\{"), ("}", r"\}"), (">", r"$>$"),
                       ("<", r"$<$")):
        text = text.replace(char, repl)
    return text


def _cell(value: object, fmt: str) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        if fmt == "latex":
            return f"${value:,}$".replace(",", "{,}")
        return f"{value:,}"
    return latex_escape(str(value)) if fmt == "latex" else str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], fmt: str) -> str:
    """``rows`` under ``headers`` as ``text`` (aligned columns), ``markdown`` or ``latex``
    (a ``tabular`` with ``booktabs`` rules; the first column is left-aligned, the others right)."""
    cells = [[_cell(v, fmt) for v in row] for row in rows]
    if fmt == "markdown":
        lines = ["| " + " | ".join(headers) + " |", "|---|" + "---:|" * (len(headers) - 1)]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines)
    if fmt == "latex":
        head = " & ".join(latex_escape(h) for h in headers)
        lines = [r"% needs \usepackage{booktabs}",
                 r"\begin{tabular}{l" + "r" * (len(headers) - 1) + "}", r"\toprule", head + r" \\",
                 r"\midrule"]
        lines += [" & ".join(row) + r" \\" for row in cells]
        lines += [r"\bottomrule", r"\end{tabular}"]
        return "\n".join(lines)
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths,
                                                                                         strict=True)))]
    out.append("  ".join("-" * w for w in widths))
    for row in cells:
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    return "\n".join(out)


def to_json(document: object) -> str:
    """Stable, machine-readable JSON (sorted keys, two-space indent)."""
    return json.dumps(document, indent=2, sort_keys=True)
