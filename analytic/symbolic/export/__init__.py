"""Exports of expressions, one module per target: LaTeX (:mod:`.latex`), Python (:mod:`.python`),
NumPy (:mod:`.numpy`), C (:mod:`.c`, its helpers the C99 header ``tapcount.h``) and JSON
(:mod:`.json`); what they share, the expressions they accept and the names they print, in
:mod:`.common`.

The custom functions print themselves (``_latex``, ``_pythoncode``, ``_numpycode``, ``_ccode`` in
:mod:`analytic.symbolic.functions`); the names they print are bound here: ``lattice_count`` of the
integer core for Python, its NumPy twin for NumPy, and a C port for C.
"""

from .c import C_HELPERS, c_source, to_c
from .common import arguments
from .json import JSON_LIMITS, expression_tree, from_json, to_json
from .latex import PaperLatexPrinter, latex
from .numpy import to_numpy
from .python import IntegerPythonPrinter, python_source, to_python

__all__ = ["C_HELPERS", "JSON_LIMITS", "IntegerPythonPrinter", "PaperLatexPrinter", "arguments", "c_source",
           "expression_tree", "from_json", "latex", "python_source", "to_c", "to_json", "to_numpy", "to_python"]
