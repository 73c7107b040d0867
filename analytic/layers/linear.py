"""``Linear``: the counting twin of ``torch.nn.Linear`` (a matrix product per row of the input)."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field

from ..core.conventions import check_convention
from ..core.matmul import matmul_counts
from ..core.validation import as_bias, as_int, at_least, check_device_dtype

__all__ = ["Linear"]


@dataclass(frozen=True)
class Linear:
    """The counting twin of ``torch.nn.Linear``: same constructor, no weights.

    An input ``(*, in_features)`` is ``rows = prod(*)`` products of a row with the weight.  Every
    convention is what the tool reports for the layer; torchinfo charges the weight and the bias
    once per entry of the first dimension only (``rows`` for a 2-d input), as it does.

    >>> Linear(512, 256).ops((8, 100, 512), "flops")  # 800 rows of 512 x 256 products, twice
    209715200
    >>> Linear(512, 256, bias=False).breakdown((8, 512))["exact"]  # 8 * 256 * (512 + 511)
    2095104
    """

    in_features: int
    out_features: int
    bias: bool = True
    device: object = field(default=None, compare=False, repr=False)
    dtype: object = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("in_features", "out_features"):
            value = as_int(name, getattr(self, name))
            at_least(name, value, 1)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "bias", as_bias(self.bias))
        check_device_dtype(self.device, self.dtype)

    @classmethod
    def from_module(cls, module: object) -> Linear:
        """Read a ``torch.nn.Linear``'s sizes (the module is not run or changed)."""
        torch = sys.modules.get("torch")
        if torch is None or not isinstance(module, torch.nn.Linear):
            raise TypeError(f"module must be a torch.nn.Linear, got {type(module).__name__}")
        return cls(module.in_features, module.out_features, bias=module.bias is not None)

    def _rows(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__iter__"):
            raise TypeError(f"input_shape must be a tuple of ints (*, in_features), got {type(input_shape).__name__}")
        shape = tuple(as_int("input_shape", v) for v in input_shape)
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"input_shape {shape} must end with in_features={self.in_features}")
        for v in shape[:-1]:
            at_least("input_shape", v, 1)
        return shape[:-1]

    def breakdown(self, input_shape: tuple[int, ...]) -> dict[str, int]:
        """Every convention of one call on an input of ``input_shape`` ``(*, in_features)``, and
        ``exact_multiplications`` / ``exact_additions``."""
        leading = self._rows(input_shape)
        rows = math.prod(leading)
        counts = matmul_counts(1, rows, self.in_features, self.out_features, self.bias)
        first = leading[0] if leading else 1
        counts["torchinfo"] = first * (self.in_features + self.bias) * self.out_features
        counts["exact_multiplications"] = rows * self.in_features * self.out_features
        counts["exact_additions"] = counts["exact"] - counts["exact_multiplications"]
        return counts

    def ops(self, input_shape: tuple[int, ...], convention: str = "moduleprofiler") -> int:
        """Operations of one call on an input of ``input_shape`` under ``convention``."""
        return self.breakdown(input_shape)[check_convention(convention)]
