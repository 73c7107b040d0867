"""Output sizes of convolutions: each formula written once, in plain arithmetic.

No ``if``, no ``max``: the same function serves Python ints (the counts), NumPy arrays
(:func:`analytic.sweep`) and SymPy expressions.

>>> transposed_output_length(100, 16, stride=8, padding=4, output_padding=0, dilation=1)
800
"""

from __future__ import annotations

__all__ = ["conv_output_length", "transposed_output_length"]


def transposed_output_length(length, kernel_size, stride, padding, output_padding, dilation):
    """torch's output length of a transposed convolution (one dimension):
    ``(length-1)*stride - 2*padding + dilation*(kernel_size-1) + output_padding + 1``."""
    return (length - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


def conv_output_length(length, kernel_size, stride, padding_left, padding_right, dilation):
    """torch's output length of a convolution (one dimension), padded by ``padding_left`` and
    ``padding_right``: ``(length + padding_left + padding_right - dilation*(kernel_size-1) - 1) // stride + 1``."""
    return (length + padding_left + padding_right - dilation * (kernel_size - 1) - 1) // stride + 1
