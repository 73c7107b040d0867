"""Matrix products: every convention of ``batch`` products of an ``m x k`` and a ``k x n`` matrix.

>>> matmul_counts(1, 4, 3, 5, False)["flops"]  # 2 * 4 * 3 * 5
120
"""

from __future__ import annotations

__all__ = ["matmul_counts"]


def matmul_counts(batch, m, k, n, bias) -> dict[str, int]:
    """``batch`` products of an ``m x k`` and a ``k x n`` matrix, plus a bias added to each of the
    ``m x n`` results when ``bias``.  Each output sums ``k`` products: ``k`` multiplications and
    ``k - 1`` additions, one more with the bias.  The conventions are those the tools give an
    ``nn.Linear`` of these sizes on a 2-d input (``macs``: fvcore and thop; ``flops``: torch's
    counter, which ignores the bias; ``moduleprofiler``: its Linear formula; ``ptflops`` and
    ``torchinfo``: the macs plus one addition per output for the bias; ``deepspeed``: twice the
    macs, its ``F.linear`` rule)."""
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
        "deepspeed": 2 * macs,  # F.linear's rule: the bias is not counted
    }
