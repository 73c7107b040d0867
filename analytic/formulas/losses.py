"""Losses: mean squared error, negative log-likelihood (cross entropy runs as log-softmax and
it), binary cross entropy, smooth L1 and Huber.  A reduction adds its ``M`` per-element losses
(``M - 1`` additions) and, for the mean, divides once.

- ``mse_loss`` ``(x - y)^2``: ``2`` per element;
- ``binary_cross_entropy`` ``-(y log x + (1 - y) log(1 - x))``: ``7`` (two logarithms, two
  subtractions, two multiplications, an addition), one more with weights;
- ``smooth_l1_loss``, ``huber_loss`` ``|d| < b ? d^2 / (2 b) : |d| - b / 2``: ``5`` (the difference,
  its absolute value, the comparison, and the branch's two);
- ``soft_margin_loss`` ``log(1 + exp(-y x))``: ``4``;
- ``binary_cross_entropy_with_logits``, the binary cross entropy of ``sigmoid(x)``,
  ``(1 - y) x + log(1 + exp(-x))``: ``6``, one more with weights, four more with ``pos_weight``
  ``p`` (the logarithm's factor ``1 + (p - 1) y``);
- ``nll_loss`` ``-x[target]``: ``0`` (a gather and a sign), ``1`` with class weights.

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::mse_loss"]((4, 5), (4, 5), 1, out_shape=())["exact"]  # 40 + 19 + 1
60
"""

from __future__ import annotations

from .registry import counts, numel, register_formula

__all__ = ["binary_cross_entropy_with_logits", "elementwise_loss", "nll_loss"]

#: reduction codes of torch's loss kernels
_NONE, _MEAN, _SUM = 0, 1, 2
#: loss operator -> operations per element
PER_ELEMENT = {"mse_loss": 2, "binary_cross_entropy": 7, "smooth_l1_loss": 5, "huber_loss": 5,
               "soft_margin_loss": 4}  # log(1 + exp(-y x)): a multiplication, exp, an addition, log


def _reduction(elements, reduction) -> object:
    return 0 if reduction == _NONE else elements - 1 + int(reduction == _MEAN)


def elementwise_loss(name: str, per_element: int):
    def formula(x, y, *args, out_shape=None, **kwargs):
        reduction = kwargs.get("reduction", next((a for a in args if isinstance(a, int) and not isinstance(
            a, bool)), _MEAN))
        weight = next((a for a in args if isinstance(a, tuple)), None)
        elements = numel(x)
        return counts(elements * (per_element + int(weight is not None)) + _reduction(elements, reduction),
                      moduleprofiler=0)

    formula.__name__ = name
    return formula


for _name, _per in PER_ELEMENT.items():
    register_formula(f"aten::{_name}")(elementwise_loss(_name, _per))


@register_formula("aten::nll_loss_forward", "aten::nll_loss2d_forward")
def nll_loss(x, target, weight, reduction=_MEAN, ignore_index=-100, *, out_shape=None):
    """``-x[target]`` per sample (a gather), weighted by the class weight when given; the mean
    divides by the samples' count (or their weights' sum: ``M - 1`` more additions)."""
    samples = numel(target)
    weighted = weight is not None
    weighted_mean = int(weighted and reduction == _MEAN)
    exact = samples * int(weighted) + _reduction(samples, reduction) + (samples - 1) * weighted_mean
    return counts(exact, moduleprofiler=0)


@register_formula("aten::binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(x, y, weight=None, pos_weight=None, reduction=_MEAN, *, out_shape=None):
    """``(1 - y) x + (1 + (p - 1) y) log(1 + exp(-x))`` per element (the binary cross entropy of
    ``sigmoid(x)``; ``p`` the positive weight), times ``weight``, then the reduction."""
    elements = numel(x)
    per_element = 6 + (weight is not None) + 4 * (pos_weight is not None)
    return counts(elements * per_element + _reduction(elements, reduction), moduleprofiler=0)
