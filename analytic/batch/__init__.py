"""The batch sweep: every count of arrays of transposed-convolution configurations at once
(NumPy, exact int64), :func:`analytic.sweep`.  NumPy loads with :mod:`.sweep`, not with this package."""
