"""Operator formulas: how many operations one call of a torch operator performs, under every
convention, as a pure function of the call's shapes (ints, or SymPy expressions of symbolic sizes).

- :mod:`.registry` — the registry (:data:`FORMULAS`, :func:`register_formula`), the shapes formulas
  receive, and the helpers they share;
- :mod:`.convolution` — convolutions in both directions, by the tap lattice;
- :mod:`.matmul` — matrix products and attention;
- :mod:`.pointwise` — element-wise arithmetic, comparisons, elementary functions, activations;
- :mod:`.reductions` — sums, means, variances, norms, extrema, cumulative sums, softmax;
- :mod:`.normalization` — batch, instance, layer and group norms, weight normalisation;
- :mod:`.pooling` — maximum and average poolings, plain and adaptive, by the tap lattice;
- :mod:`.interpolation` — nearest, linear, bilinear, bicubic and trilinear resampling;
- :mod:`.recurrent` — the CPU's fused LSTM layer, as its steps;
- :mod:`.gradients` — the backward pass's own operators (a convolution's is with the convolution);
- :mod:`.spectral` — Fourier transforms; :mod:`.losses` — losses; :mod:`.lookup` — embeddings;
- :mod:`.movement` — the operators that only move data (zero arithmetic, listed apart);
- :mod:`.peers` — the peer tools' own rules, by module type; :mod:`.shapes` — helpers on shapes.

Importing this package registers every formula of its modules.
"""

from . import (  # noqa: F401  (each registers its formulas)
    convolution,
    gradients,
    interpolation,
    lookup,
    losses,
    matmul,
    movement,
    normalization,
    pointwise,
    pooling,
    recurrent,
    reductions,
    spectral,
)
from .registry import (
    ARITHMETIC,
    DATA_MOVEMENT,
    FORMULAS,
    Formula,
    Registry,
    Shape,
    TorchFunction,
    counts,
    numel,
    qualified_name,
    register_formula,
)

__all__ = ["ARITHMETIC", "DATA_MOVEMENT", "FORMULAS", "Formula", "Registry", "Shape", "TorchFunction", "counts",
           "numel", "qualified_name", "register_formula"]
