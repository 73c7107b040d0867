"""Matrix products (``mm``, ``addmm``, ``bmm``, ``baddbmm``: ``nn.Linear``, ``matmul``, ``@``) and
the fused attention kernels, counted by their shapes (:func:`analytic.core.matmul.matmul_counts`).

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::mm"]((4, 3), (3, 5), out_shape=(4, 5))["flops"]  # 2 * 4 * 3 * 5
120
"""

from __future__ import annotations

import sys

from ..core.matmul import matmul_counts
from .registry import counts, numel, register_formula

__all__ = ["addbmm", "addmm", "addmv", "addr", "attention", "baddbmm", "bmm", "causal_pairs", "distances", "dot",
           "grouped_mm", "mm", "mv", "trilinear"]


def _linear(counts: dict, a, b, bias: bool, torch_function) -> dict:
    """The counts of a matrix product, with torchinfo's rule for ``F.linear`` (``nn.Linear``) on an
    input of more than two dimensions ``(N, ..., k)``: the weight and bias charged ``N`` times, not
    once per row (torchinfo multiplies a layer's parameters by its output's first size)."""
    if torch_function is not None and torch_function.name == "linear" and torch_function.leading is not None:
        counts["torchinfo"] = torch_function.leading * (a[1] + bias) * b[1]
    return counts


@register_formula("aten::mm")
def mm(a, b, out_shape=None, torch_function=None):
    """``a @ b`` of two matrices (what ``nn.Linear`` without a bias runs)."""
    return _linear(matmul_counts(1, a[0], a[1], b[1], False), a, b, False, torch_function)


@register_formula("aten::addmm")
def addmm(bias, a, b, *, beta=1, alpha=1, out_shape=None, torch_function=None):
    """``bias + a @ b`` (what ``nn.Linear`` runs)."""
    return _linear(matmul_counts(1, a[0], a[1], b[1], True), a, b, True, torch_function)


addmm.input_argument = 1  # the row's input is the matrix a, not the bias


@register_formula("aten::bmm")
def bmm(a, b, out_shape=None):
    """``a @ b`` for a batch of matrices."""
    return matmul_counts(a[0], a[1], a[2], b[2], False)


@register_formula("aten::baddbmm")
def baddbmm(bias, a, b, *, beta=1, alpha=1, out_shape=None):
    """``bias + a @ b`` for a batch of matrices."""
    return matmul_counts(a[0], a[1], a[2], b[2], True)


baddbmm.input_argument = 1


# -- products with a vector, outer products, a batch summed: no tool counts them ----------------------


@register_formula("aten::mv")
def mv(a, x, *, out_shape=None):
    """``A x`` of an ``n x k`` matrix and a vector (spectral normalization's power iteration):
    ``n (2 k - 1)``.  Torch's counter and the other tools count none."""
    return counts(matmul_counts(1, a[0], a[1], 1, False)["exact"], moduleprofiler=0)


@register_formula("aten::addmv")
def addmv(bias, a, x, *, beta=1, alpha=1, out_shape=None):
    """``b + A x``: ``n (2 k - 1)`` and an addition per output."""
    return counts(matmul_counts(1, a[0], a[1], 1, True)["exact"], moduleprofiler=0)


@register_formula("aten::dot", "aten::vdot")
def dot(a, b, *, out_shape=None):
    """The dot product of two vectors of ``k`` (``vdot`` conjugates the first: sign changes):
    ``2 k - 1``."""
    return counts(matmul_counts(1, 1, a[0], 1, False)["exact"], moduleprofiler=0)


@register_formula("aten::addr")
def addr(bias, u, v, *, beta=1, alpha=1, out_shape=None):
    """``A + u v^T``: a product and an addition per element of the ``n x m`` result."""
    return counts(2 * u[0] * v[0], moduleprofiler=0)


@register_formula("aten::addbmm")
def addbmm(bias, a, b, *, beta=1, alpha=1, out_shape=None):
    """``C + sum_i A_i B_i`` over a batch of ``B`` products of ``n x k`` and ``k x p``: each output
    sums ``B k`` products and ``C``'s element, ``2 B k``."""
    return counts(a[1] * b[2] * 2 * a[0] * a[2], moduleprofiler=0)


@register_formula("aten::_trilinear")
def trilinear(a, b, c, expand_a, expand_b, expand_c, sum_dims, unroll_dim=1, *, out_shape=None):
    """``sum over sum_dims of a b c`` (``nn.Bilinear``'s ``x1^T W x2``), each operand given size-1
    dimensions at its ``expand_*`` positions, evaluated as torch does: ``a b`` summed first over
    the dimensions ``c`` lacks, then that product with ``c`` summed over the rest.  A sum of ``K``
    products costs ``2 K - 1`` per element (``1`` for a plain product, ``K = 1``)."""
    rank = len(a) + len(expand_a)

    def full(shape, expanded):
        sizes = iter(shape)
        return [1 if d in expanded else next(sizes) for d in range(rank)]

    sa, sb, sc = full(a, expand_a), full(b, expand_b), full(c, expand_c)
    first = [d for d in sum_dims if d in expand_c]  # summed in the product of a and b
    second = [d for d in sum_dims if d not in expand_c]
    ab = [sa[d] if sb[d] == 1 else sb[d] for d in range(rank)]
    terms_first = numel([ab[d] for d in first])
    exact = numel([ab[d] for d in range(rank) if d not in first]) * (2 * terms_first - 1)
    terms_second = numel([ab[d] if sc[d] == 1 else sc[d] for d in second])
    exact += numel(out_shape) * (2 * terms_second - 1)
    return counts(exact, moduleprofiler=0)


@register_formula("aten::_grouped_mm")
def grouped_mm(a, b, offs=None, bias=None, out_dtype=None, *, out_shape=None):
    """``torch._grouped_mm`` (``F.grouped_mm``, a mixture of experts' expert layers): products of
    groups, ``offs`` their ends along the dimension the two operands do not both batch.  Each output
    element sums ``K`` products, ``2 K - 1`` (one more with a bias): an ``(M, K)`` matrix against
    ``(G, K, N)`` (each row by its group's matrix), ``(G, M, K)`` against ``(K, N)`` (each column
    group by its own), and ``(G, M, K)`` against ``(G, K, N)`` give ``(M, N)``, ``(M, N)`` and
    ``(G, M, N)`` outputs of ``K`` products each; ``(M, K)`` against ``(K, N)`` sums over groups of
    ``K`` (``G`` outputs ``(M, N)``), ``M N (2 K - G)`` in all, each group taken as holding a row (the
    groups' sizes are values).  Torch's counter and the tools count none of it."""
    groups = 1 if offs is None else offs[0]
    width = a[-1]
    if len(a) == 2 and len(b) == 2:
        exact = numel(out_shape[1:]) * (2 * width - groups)
    else:
        exact = numel(out_shape) * (2 * width - 1)
    return counts(exact + (numel(out_shape) if bias is not None else 0))


def causal_pairs(queries, keys):
    """The (query, key) pairs a causal mask keeps: query ``i`` sees keys ``0 .. i`` (torch's
    ``is_causal``, aligned at the top left), ``sum_i min(i + 1, S)``."""
    if isinstance(queries, int) and isinstance(keys, int):
        seen = min(queries, keys)
    else:
        seen = sys.modules["sympy"].Min(queries, keys)  # SymPy sizes: SymPy is loaded
    return seen * (seen + 1) // 2 + (queries - seen) * keys


@register_formula("aten::_scaled_dot_product_flash_attention_for_cpu", "aten::_scaled_dot_product_flash_attention",
                  "aten::_scaled_dot_product_efficient_attention", "aten::_scaled_dot_product_cudnn_attention")
def attention(q, k, v, *args, out_shape=None, is_causal=False, attn_mask=None, **kwargs):
    """A fused attention kernel, ``softmax(q k^T * scale + mask) v`` with ``q`` ``(B, H, L, E)``,
    ``k`` ``(B, H, S, E)``, ``v`` ``(B, H, S, E_v)``, whichever kernel runs.

    The conventions count its two batched products as for any matrix product (torch's counter:
    ``4 B H L S E`` flops when ``E_v = E``, the full ``L x S`` even when causal).  The exact count
    is what the kernel computes over the pairs ``P`` it keeps (``L S``; a causal mask keeps
    :func:`causal_pairs`): each score ``2 E - 1``, its scaling ``1`` (and the mask's addition
    ``1``), each row's softmax ``3 r - 1`` over its ``r`` keys (``3 P - L`` in all), each output
    ``E_v (2 r - 1)`` (``E_v (2 P - L)``)."""
    if len(args) >= 2 and isinstance(args[1], bool):  # flash kernels: (dropout_p, is_causal, ...)
        is_causal = args[1]
    batch = q[0] * q[1]
    queries, keys, width, values = q[2], k[2], q[3], v[3]
    scores = matmul_counts(batch, queries, width, keys, False)
    mixed = matmul_counts(batch, queries, keys, values, False)
    total = {key: scores[key] + mixed[key] for key in scores}
    pairs = causal_pairs(queries, keys) if is_causal else queries * keys
    exact = pairs * (2 * width - 1) + pairs * (1 + (attn_mask is not None)) + (3 * pairs - queries) + values * (
        2 * pairs - queries)
    total["exact"] = total["moduleprofiler"] = batch * exact
    return total


@register_formula("aten::_cdist_forward", "aten::_euclidean_dist")
def distances(a, b, p=2.0, *args, out_shape=None):
    """``torch.cdist``: the ``p``-norm distance ``(sum |a_i - b_i|^p)^(1/p)`` of every pair of
    rows of ``a`` ``(..., P, D)`` and ``b`` ``(..., R, D)``.  Per pair: ``D`` differences, then for
    ``p = 2`` ``D`` squares, ``D - 1`` additions and a square root (``3 D``); for ``p = 1`` ``D``
    absolute values and ``D - 1`` additions, for ``p = inf`` their maximum, for ``p = 0`` the
    nonzero ones counted (``3 D - 1``); else ``D`` absolute values and powers, ``D - 1`` additions
    and a root (``4 D``).  torch's matrix-product form of the Euclidean distance for many rows
    (``aten::_euclidean_dist``) counts the same: the distance's defining formula.  Torch's counter
    counts neither."""
    width = a[-1]
    per_pair = 3 * width if p == 2 else 3 * width - 1 if p in (0, 1, float("inf")) else 4 * width
    return counts(numel(out_shape) * per_pair, moduleprofiler=0)
