"""Brute-force reference: enumerate every tap.  Slow, obviously right, independent of analytic."""

from collections import Counter


def tap_histogram(length, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Taps per output position, by listing all (i, m) and cropping to the output window."""
    out = (length - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    hits = Counter(i * stride + m * dilation - padding for i in range(length) for m in range(kernel_size))
    return [hits.get(j, 0) for j in range(out)]


def all_ones_additions(**config):
    return sum(c - 1 for c in tap_histogram(**config))


def exact_additions(**config):
    return sum(max(c - 1, 0) for c in tap_histogram(**config))


# Closed forms for huge lengths, derived here by hand (independently of analytic's lattice count),
# for dilation 1, where a tap (i, m) lands at t = i*s + m and the pattern of taps repeats every s.


def taps_kept_by_columns(length, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """T: for each kernel tap m, the inputs i whose tap lands inside the output window
    [padding, padding + L_out), i.e. p <= i*s + m*d < p + L_out: a direct O(kernel_size) count."""
    n, k, s, p, o, d = length, kernel_size, stride, padding, output_padding, dilation
    out = (n - 1) * s - 2 * p + d * (k - 1) + o + 1

    def inputs_below(x, m):  # i in [0, n) with i*s + m*d < x
        return min(n, max(0, -(-(x - m * d) // s)))

    return sum(inputs_below(p + out, m) - inputs_below(p, m) for m in range(k))


def covered_positions_unit_dilation(length, kernel_size, stride=1, padding=0, output_padding=0):
    """Z for dilation 1: uncropped position t < F is covered iff some input i has 0 <= t - i*s < k,
    i.e. always when k >= s, else iff t mod s < k; positions past F (output_padding) are not."""
    n, k, s, p, o = length, kernel_size, stride, padding, output_padding
    uncropped = (n - 1) * s + k
    out = uncropped - 2 * p + o

    def covered_below(x):  # covered t in [0, x), x <= F
        return x if k >= s else (x // s) * k + min(x % s, k)

    return covered_below(min(uncropped, p + out)) - covered_below(min(uncropped, p))


def module_breakdown(*, batch, in_channels, out_channels, groups, bias, length, kernel_size, output_length,
                     taps_kept, covered_positions):
    """Every convention from the per-filter quantities, written from the formulas of the README's
    conventions table and moduleprofiler's documentation (not from analytic's code)."""
    b = int(bias)
    per_group = in_channels // groups
    additions = taps_kept - output_length
    psi = in_channels * out_channels // groups
    lam = output_length * kernel_size + additions
    gamma = out_channels * output_length * (per_group - 1 + b)
    multiplications = batch * out_channels * per_group * taps_kept
    exact_additions = batch * out_channels * (per_group * taps_kept - (1 - b) * covered_positions)
    macs = batch * out_channels * per_group * length * kernel_size
    thop = batch * out_channels * per_group * output_length * kernel_size
    bias_adds = b * batch * out_channels * output_length
    return {
        "output_length": output_length, "psi": psi, "lambda": lam, "gamma": gamma,
        "additions_per_filter": additions, "exact_additions_per_filter": taps_kept - covered_positions,
        "taps_kept": taps_kept, "covered_positions": covered_positions,
        "exact_multiplications": multiplications, "exact_additions": exact_additions,
        "moduleprofiler": batch * (psi * lam + gamma), "exact": multiplications + exact_additions,
        "macs": macs, "flops": 2 * macs, "ptflops": macs + bias_adds, "thop": thop, "torchinfo": thop + bias_adds,
        "deepspeed": 2 * macs + bias_adds,  # DeepSpeed's conv_transpose rule: 2 multiply-accumulates, the bias
    }
