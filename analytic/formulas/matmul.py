"""Matrix products (``mm``, ``addmm``, ``bmm``, ``baddbmm``: ``nn.Linear``, ``matmul``, ``@``) and
the fused attention kernels, counted by their shapes (:func:`analytic.core.matmul.matmul_counts`).

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::mm"]((4, 3), (3, 5), out_shape=(4, 5))["flops"]  # 2 * 4 * 3 * 5
120
"""

from __future__ import annotations

from ..core.matmul import matmul_counts
from .registry import register_formula

__all__ = ["addmm", "attention", "baddbmm", "bmm", "mm"]


@register_formula("aten::mm")
def mm(a, b, out_shape=None):
    """``a @ b`` of two matrices."""
    return matmul_counts(1, a[0], a[1], b[1], False)


@register_formula("aten::addmm")
def addmm(bias, a, b, *, beta=1, alpha=1, out_shape=None):
    """``bias + a @ b`` (what ``nn.Linear`` runs on a 2-d input)."""
    return matmul_counts(1, a[0], a[1], b[1], True)


@register_formula("aten::bmm")
def bmm(a, b, out_shape=None):
    """``a @ b`` for a batch of matrices."""
    return matmul_counts(a[0], a[1], a[2], b[2], False)


@register_formula("aten::baddbmm")
def baddbmm(bias, a, b, *, beta=1, alpha=1, out_shape=None):
    """``bias + a @ b`` for a batch of matrices."""
    return matmul_counts(a[0], a[1], a[2], b[2], True)


@register_formula("aten::_scaled_dot_product_flash_attention_for_cpu", "aten::_scaled_dot_product_flash_attention",
                  "aten::_scaled_dot_product_efficient_attention", "aten::_scaled_dot_product_cudnn_attention")
def attention(q, k, v, *args, out_shape=None, **kwargs):
    """A fused attention kernel, ``softmax(q k^T) v`` with ``q`` ``(B, H, L, E)``, ``k``
    ``(B, H, S, E)``, ``v`` ``(B, H, S, E_v)``: counted as its two batched products, ``q k^T`` and
    the weights times ``v`` (4 B H L S E flops when ``E_v = E``), whichever kernel runs; the
    softmax is not counted, as for torch's counter.  (Under the profile torch usually runs the
    attention as two ``bmm`` calls, counted the same.)"""
    batch = q[0] * q[1]
    scores = matmul_counts(batch, q[2], q[3], k[2], False)
    mixed = matmul_counts(batch, q[2], k[2], v[3], False)
    return {key: scores[key] + mixed[key] for key in scores}
