"""Brute-force reference: enumerate every tap.  Slow, obviously right, independent of analytic."""

from collections import Counter


def tap_histogram(length, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Taps per output position, by listing all (i, m) and cropping to the output window."""
    out = (length - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    hits = Counter(i * stride + m * dilation - padding for i in range(length) for m in range(kernel_size))
    return [hits.get(j, 0) for j in range(out)]


def seed_additions(**config):
    return sum(c - 1 for c in tap_histogram(**config))


def exact_additions(**config):
    return sum(max(c - 1, 0) for c in tap_histogram(**config))
