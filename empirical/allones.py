"""The all-ones method of moduleprofiler's documentation: run torch on ones and read the counts off the output.

Input of ones, weights of ones, ``bias=False``, ``in_channels = out_channels = 1``: output
position ``j`` then holds the number of taps landing on it, ``c(j + padding)``.  Computed in
float64, so every count up to 2**53 is exact; the result is returned as a Python ``int``.
"""

from __future__ import annotations

import torch

from analytic.core.validation import check_filter

__all__ = ["additions_per_filter", "all_ones_output", "as_exact_int", "exact_additions_per_filter",
           "measure_filter"]


def as_exact_int(value: torch.Tensor) -> int:
    """Convert a float64 scalar tensor holding a whole number to ``int``; refuse anything else."""
    number = value.item()
    if number != int(number) or abs(number) > 2**53:
        raise ArithmeticError(f"measured count {number!r} is not an exactly representable integer")
    return int(number)


def all_ones_output(
    length: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> torch.Tensor:
    """``y`` of the all-ones snippet of moduleprofiler's documentation:
    ``ConvTranspose1d(1, 1, kernel_size, ..., bias=False)`` with ones as weights, applied to
    ``torch.ones((1, length))``, in float64.

    >>> all_ones_output(2, 3).tolist()
    [[1.0, 2.0, 2.0, 1.0]]
    """
    n, k, s, p, o, d = check_filter(length, kernel_size, stride, padding, output_padding, dilation)
    module = torch.nn.ConvTranspose1d(
        in_channels=1, out_channels=1, kernel_size=k, stride=s, padding=p,
        output_padding=o, dilation=d, bias=False, dtype=torch.float64,
    )
    with torch.no_grad():
        module.weight.fill_(1.0)
        return module(torch.ones((1, n), dtype=torch.float64))


def additions_per_filter(
    length: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """moduleprofiler's additions per filter, measured: ``sum(y - 1)`` of :func:`all_ones_output`.

    >>> additions_per_filter(2, 3)
    2
    """
    return _all_ones_additions(all_ones_output(length, kernel_size, stride, padding, output_padding, dilation))


def _all_ones_additions(y: torch.Tensor) -> int:
    return as_exact_int(torch.sum(y - 1.0))


def exact_additions_per_filter(
    length: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Structural additions, measured from the same output: taps minus nonzero positions.

    >>> exact_additions_per_filter(1, 2, dilation=3)  # y = [1, 0, 0, 1]: no position adds
    0
    """
    return _exact_additions(all_ones_output(length, kernel_size, stride, padding, output_padding, dilation))


def _exact_additions(y: torch.Tensor) -> int:
    return as_exact_int(torch.sum(y)) - int(torch.count_nonzero(y))


def measure_filter(
    length: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> dict[str, int]:
    """``output_length``, ``additions_per_filter`` and ``exact_additions_per_filter``, read off one
    run of :func:`all_ones_output` (what ``tapcount verify`` compares).

    >>> measure_filter(1, 2, dilation=3)
    {'output_length': 4, 'additions_per_filter': -2, 'exact_additions_per_filter': 0}
    """
    y = all_ones_output(length, kernel_size, stride, padding, output_padding, dilation)
    return {"output_length": y.shape[-1], "additions_per_filter": _all_ones_additions(y),
            "exact_additions_per_filter": _exact_additions(y)}


def all_ones_output_nd(
    input_size: tuple[int, ...],
    kernel_size,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
) -> torch.Tensor:
    """The all-ones output of one filter in 1, 2 or 3 dimensions (``len(input_size)``), float64.

    Parameters are ints or tuples, as for ``torch.nn.ConvTranspose{1,2,3}d``; the result has the
    spatial output shape.

    >>> all_ones_output_nd((2, 1), kernel_size=(3, 2)).tolist()
    [[1.0, 1.0], [2.0, 2.0], [2.0, 2.0], [1.0, 1.0]]
    """
    from analytic.layers import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

    dims = len(input_size)
    cls = {1: ConvTranspose1d, 2: ConvTranspose2d, 3: ConvTranspose3d}.get(dims)
    if cls is None:
        raise ValueError(f"input_size {input_size!r} must have 1, 2 or 3 dimensions")
    spec = cls(1, 1, kernel_size, stride=stride, padding=padding, output_padding=output_padding,
               dilation=dilation, bias=False)
    spec.output_shape((1, 1, *input_size))  # torch's rules, with tapcount's messages
    module = getattr(torch.nn, cls.__name__)(
        1, 1, spec.kernel_size, stride=spec.stride, padding=spec.padding,
        output_padding=spec.output_padding, dilation=spec.dilation, bias=False, dtype=torch.float64,
    )
    with torch.no_grad():
        module.weight.fill_(1.0)
        return module(torch.ones((1, 1, *input_size), dtype=torch.float64))[0, 0]
