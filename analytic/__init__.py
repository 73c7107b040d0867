"""tapcount's closed forms: exact operation counts of convolutions, transposed and forward.

Plain Python integers, exact for any size, computed in time that does not depend on the input
length: per filter (:func:`additions_per_filter`, :func:`exact_additions_per_filter`,
:func:`output_length`), per layer (:class:`ConvTranspose1d`, :class:`ConvTranspose2d`,
:class:`ConvTranspose3d`; :class:`Conv1d`, :class:`Conv2d`, :class:`Conv3d`), for arrays of
configurations (:func:`sweep`, NumPy) and for whole torch models (:func:`profile`).
``import analytic`` loads neither torch, SymPy nor NumPy; :mod:`analytic.symbolic` (SymPy) loads on
first use.

>>> import analytic
>>> analytic.additions_per_filter(length=2, kernel_size=3)
2
>>> analytic.ConvTranspose1d(512, 256, 16, stride=8, padding=4).ops((1, 512, 100), "exact")
417333248
"""

from __future__ import annotations

import importlib
from typing import Any

from .core.conventions import CONVENTIONS
from .core.filters import FilterCounts
from .core.lattice import floor_sum, lattice_count
from .core.transposed import additions_per_filter, exact_additions_per_filter, filter_counts, output_length
from .layers import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, Linear

__all__ = [
    "CONVENTIONS",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "FilterCounts",
    "Linear",
    "additions_per_filter",
    "exact_additions_per_filter",
    "filter_counts",
    "floor_sum",
    "lattice_count",
    "output_length",
    "profile",
    "register_formula",
    "sweep",
]


def sweep(**arrays: Any) -> dict[str, Any]:
    """Every count for NumPy arrays of configurations (exact int64); see :func:`analytic.batch.sweep.sweep`.

    NumPy loads on the first call, not on ``import analytic``.
    """
    from .batch.sweep import sweep as _sweep

    return _sweep(**arrays)


def profile(model: Any, input_shape: Any = None, **options: Any) -> Any:
    """Counts of every operator call of a whole torch model from a forward pass on the ``meta``
    device; with a named size in the shape (``(1, 80, "L")``), the counts as formulas of that size
    (a :class:`analytic.profiling.formula.SymbolicProfile`).  See :func:`analytic.profiling.profile`.

    torch loads on the first call, not on ``import analytic``."""
    from .profiling import profile as _profile

    return _profile(model, input_shape, **options)


def __getattr__(name: str) -> Any:
    if name == "symbolic":
        return importlib.import_module(".symbolic", __name__)
    if name == "register_formula":  # the operator registry, loaded on first use
        return importlib.import_module(".formulas", __name__).register_formula
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
