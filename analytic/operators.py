"""Counting formulas for the ATen operators that do a model's arithmetic, by operator name.

Each formula takes the operator's shapes and hyper-parameters (plain ints and tuples, the way
``torch.utils.flop_counter`` formulas do) and returns every convention of
:data:`analytic.CONVENTIONS` for one call.  Convolutions, in both directions, are counted by the
tap lattice through the layer classes; matrix products by their shapes.  The profile
(:mod:`analytic.profiling`) looks operators up in :data:`FORMULAS`; one that is not there is
listed as not counted, never dropped.

>>> FORMULAS["aten.mm"](a=(4, 3), b=(3, 5))["flops"]  # 2 * 4 * 3 * 5
120
"""

from __future__ import annotations

from collections.abc import Callable

from .conv_layers import Conv1d, Conv2d, Conv3d
from .layers import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

__all__ = ["FORMULAS", "matmul_counts", "register"]

#: operator name (``aten.convolution``, without the overload) -> formula
FORMULAS: dict[str, Callable[..., dict[str, int]]] = {}


def register(*names: str) -> Callable[[Callable[..., dict[str, int]]], Callable[..., dict[str, int]]]:
    """Register a formula under the operator names it counts."""
    def decorate(formula):
        for name in names:
            FORMULAS[name] = formula
        return formula

    return decorate


_FORWARD = {1: Conv1d, 2: Conv2d, 3: Conv3d}
_TRANSPOSED = {1: ConvTranspose1d, 2: ConvTranspose2d, 3: ConvTranspose3d}


@register("aten.convolution", "aten._convolution")
def convolution(x, w, bias, stride, padding, dilation, transposed, output_padding, groups) -> dict[str, int]:
    """A convolution call: ``x`` the input shape ``(N, C_in, *spatial)``, ``w`` the weight shape,
    ``bias`` whether there is one.  Counted by the layer it is (``Conv*d`` or ``ConvTranspose*d``),
    so every convention and the exact count (real taps only) hold as for the layers."""
    dims = len(x) - 2
    if transposed:
        layer = _TRANSPOSED[dims](x[1], w[1] * groups, tuple(w[2:]), stride=tuple(stride), padding=tuple(padding),
                                  output_padding=tuple(output_padding), groups=groups, bias=bias,
                                  dilation=tuple(dilation))
    else:
        layer = _FORWARD[dims](x[1], w[0], tuple(w[2:]), stride=tuple(stride), padding=tuple(padding),
                               dilation=tuple(dilation), groups=groups, bias=bias)
    counts = layer.breakdown(tuple(x))
    return {key: counts[key] for key in ("moduleprofiler", "exact", "macs", "flops", "ptflops", "thop", "torchinfo")}


def matmul_counts(batch: int, m: int, k: int, n: int, bias: bool) -> dict[str, int]:
    """``batch`` products of an ``m x k`` and a ``k x n`` matrix, plus a bias added to each of the
    ``m x n`` results when ``bias``.  Each output sums ``k`` products: ``k`` multiplications and
    ``k - 1`` additions, one more with the bias.  The conventions are those the tools give an
    ``nn.Linear`` of these sizes on a 2-d input (``macs``: fvcore and thop; ``flops``: torch's
    counter, which ignores the bias; ``moduleprofiler``: its Linear formula; ``ptflops`` and
    ``torchinfo``: the macs plus one addition per output for the bias)."""
    b = bias + 0
    macs = batch * m * k * n
    exact = batch * m * n * (2 * k - 1 + b)
    return {
        "moduleprofiler": exact,
        "exact": exact,
        "macs": macs,
        "flops": 2 * macs,
        "ptflops": macs + b * batch * m * n,
        "thop": macs,
        "torchinfo": macs + b * batch * m * n,
    }


@register("aten.mm")
def mm(a, b) -> dict[str, int]:
    """``a @ b`` of two matrices."""
    return matmul_counts(1, a[0], a[1], b[1], False)


@register("aten.addmm")
def addmm(a, b, bias=None) -> dict[str, int]:
    """``bias + a @ b`` (what ``nn.Linear`` runs on a 2-d input)."""
    return matmul_counts(1, a[0], a[1], b[1], True)


@register("aten.bmm")
def bmm(a, b) -> dict[str, int]:
    """``a @ b`` for a batch of matrices."""
    return matmul_counts(a[0], a[1], a[2], b[2], False)


@register("aten._scaled_dot_product_flash_attention_for_cpu", "aten._scaled_dot_product_flash_attention",
          "aten._scaled_dot_product_efficient_attention", "aten._scaled_dot_product_cudnn_attention")
def attention(q, k, v) -> dict[str, int]:
    """A fused attention kernel, ``softmax(q k^T) v`` with ``q`` ``(B, H, L, E)``, ``k``
    ``(B, H, S, E)``, ``v`` ``(B, H, S, E_v)``: counted as its two batched products, ``q k^T`` and
    the weights times ``v`` (4 B H L S E flops when ``E_v = E``), whichever kernel runs; the
    softmax is not counted, as for torch's counter.  (Under the profile torch usually runs the
    attention as two ``bmm`` calls, counted the same.)"""
    batch = q[0] * q[1]
    scores = matmul_counts(batch, q[2], q[3], k[2], False)
    mixed = matmul_counts(batch, q[2], k[2], v[3], False)
    return {key: scores[key] + mixed[key] for key in scores}


@register("aten.baddbmm")
def baddbmm(a, b, bias=None) -> dict[str, int]:
    """``bias + a @ b`` for a batch of matrices."""
    return matmul_counts(a[0], a[1], a[2], b[2], True)
