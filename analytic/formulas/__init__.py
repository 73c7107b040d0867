"""Operator formulas: how many operations one call of a torch operator performs, under every
convention, as a pure function of the call's shapes (ints, or SymPy expressions of symbolic sizes).

- :mod:`.registry` — the registry (:data:`FORMULAS`, :func:`register_formula`), the shapes formulas
  receive, and the helpers they share;
- :mod:`.convolution` — convolutions in both directions, by the tap lattice;
- :mod:`.matmul` — matrix products and attention.

Importing this package registers every formula of its modules.
"""

from . import convolution, matmul  # noqa: F401  (registers their formulas)
from .registry import (
    ARITHMETIC,
    DATA_MOVEMENT,
    FORMULAS,
    Formula,
    Registry,
    Shape,
    counts,
    numel,
    qualified_name,
    register_formula,
)

__all__ = ["ARITHMETIC", "DATA_MOVEMENT", "FORMULAS", "Formula", "Registry", "Shape", "counts", "numel",
           "qualified_name", "register_formula"]
