"""Embeddings: a lookup of rows, no arithmetic.  torchinfo charges the ``Embedding`` module its
rule for a layer with a weight: the output's first size times the weight's elements.

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::embedding"]((100, 8), (2, 5), out_shape=(2, 5, 8))["torchinfo"]
1600
"""

from __future__ import annotations

from .registry import counts, numel, register_formula

__all__ = ["embedding"]


@register_formula("aten::embedding")
def embedding(weight, indices, *args, out_shape=None, **kwargs):
    """``weight[indices]``: zero arithmetic."""
    first = indices[0] if indices else 1
    return counts(0, moduleprofiler=0, torchinfo=first * numel(weight))


@register_formula("aten::_embedding_bag", "aten::_embedding_bag_forward_only")
def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, *args, out_shape=None, **kwargs):
    """Sums (``mode`` 0) or means (1) of bags of rows: an addition per looked-up row beyond each
    bag's first, and a division per output element for the mean; the maximum (2) compares."""
    bags = offsets[0] if offsets else 1
    width = weight[-1]
    rows = numel(indices)
    exact = (rows - bags) * width + (bags * width if mode == 1 else 0)
    return counts(exact, moduleprofiler=0)
