"""The documents: the derivation (Markdown and LaTeX, generated from the SymPy formulas into
``derivations/``, never edited by hand) and the tap diagram (TikZ, PNG, SVG).

    python -m analytic.documents [OUT_DIR]     # default: derivations
"""

from .derivation import EXAMPLE_COLUMNS, EXAMPLES, example_rows, markdown, tex, write

__all__ = ["EXAMPLES", "EXAMPLE_COLUMNS", "example_rows", "markdown", "tex", "write"]
