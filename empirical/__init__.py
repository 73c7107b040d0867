"""tapcount's measurements: the same counts as :mod:`analytic`, read off real torch outputs.

>>> import empirical
>>> empirical.additions_per_filter(length=2, kernel_size=3)  # the all-ones snippet of moduleprofiler's documentation
2
"""

from .allones import (
    additions_per_filter,
    all_ones_output,
    all_ones_output_nd,
    exact_additions_per_filter,
    measure_filter,
)
from .modules import measure, ops

__all__ = ["additions_per_filter", "all_ones_output", "all_ones_output_nd", "exact_additions_per_filter", "measure",
           "measure_filter", "ops"]
