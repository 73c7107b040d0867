"""``Conv1d``/``Conv2d``/``Conv3d``: the counting twins of torch's forward convolutions.

Same constructor as torch (``padding`` an int, a tuple, ``'same'`` or ``'valid'``; every
``padding_mode``), no weights.  Counts come from the tap lattice read the other way
(:mod:`analytic.core.forward`), per dimension, combined by product as for the transposed layers.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import ClassVar

from ..core.arithmetic import INTEGERS, Arithmetic
from ..core.filters import FilterCounts
from ..core.forward import conv_filter_counts, conv_module_counts, same_padding
from ..core.validation import as_tuple, at_least, check_conv_filter, check_device_dtype, check_layer
from .base import CountingLayer

__all__ = ["Conv1d", "Conv2d", "Conv3d", "PADDING_MODES", "conv_from_module"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_SIZES = ("kernel_size", "stride", "dilation")


@dataclass(frozen=True)
class _ConvNd(CountingLayer):
    in_channels: int
    out_channels: int
    kernel_size: object
    stride: object = 1
    padding: object = 0
    dilation: object = 1
    groups: int = 1
    bias: bool = True
    padding_mode: str = "zeros"
    #: accepted for drop-in compatibility with torch's constructor; a count does not depend on them
    device: object = field(default=None, compare=False, repr=False)
    dtype: object = field(default=None, compare=False, repr=False)

    DIMS: ClassVar[int] = 0

    def __post_init__(self) -> None:
        c_in, c_out, g, b = check_layer(self.in_channels, self.out_channels, self.groups, self.bias)
        values: dict[str, object] = {"in_channels": c_in, "out_channels": c_out, "groups": g, "bias": b}
        for name in _SIZES:
            sizes = as_tuple(name, getattr(self, name), self.DIMS)
            for i, v in enumerate(sizes):
                at_least(name if self.DIMS == 1 else f"{name}[{i}]", v, 1)
            values[name] = sizes
        if not isinstance(self.padding_mode, str):
            raise TypeError(f"padding_mode must be a str, got {type(self.padding_mode).__name__}")
        if self.padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode ({self.padding_mode!r}) must be one of {', '.join(PADDING_MODES)}")
        padding = self.padding
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"padding ({padding!r}) must be an int, a tuple, 'same' or 'valid'")
            if padding == "same" and any(s != 1 for s in values["stride"]):
                raise ValueError(f"padding='same' needs stride 1 (torch refuses it for strided convolutions),"
                                 f" got stride {self.stride!r}")
        else:
            padding = as_tuple("padding", padding, self.DIMS)
            if self.padding_mode == "zeros":  # another mode pads with torch's F.pad, which crops when negative
                for i, v in enumerate(padding):
                    at_least("padding" if self.DIMS == 1 else f"padding[{i}]", v, 0)
        values["padding"] = padding
        check_device_dtype(self.device, self.dtype)
        if self.DIMS == 1:  # 1-d layers keep plain ints, as the transposed ones do
            values.update({name: values[name][0] for name in _SIZES})
            if not isinstance(padding, str):
                values["padding"] = padding[0]
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def _per_dim(self, name: str) -> tuple[int, ...]:
        value = getattr(self, name)
        return value if isinstance(value, tuple) else (value,) * self.DIMS

    def pads(self) -> tuple[tuple[int, int], ...]:
        """``(left, right)`` padding of each dimension (``'same'`` puts the odd one on the right)."""
        kernel, dilation = self._per_dim("kernel_size"), self._per_dim("dilation")
        if self.padding == "same":
            return tuple(same_padding(k, d) for k, d in zip(kernel, dilation, strict=True))
        if self.padding == "valid":
            return ((0, 0),) * self.DIMS
        return tuple((p, p) for p in self._per_dim("padding"))

    @property
    def kernel_volume(self) -> int:
        """Taps per kernel: the product of the kernel sizes."""
        return math.prod(self._per_dim("kernel_size"))

    @classmethod
    def from_module(cls, module: object) -> _ConvNd:
        """Read a torch module's hyper-parameters (the module is not run or changed)."""
        cls._check_module(module)
        return cls(module.in_channels, module.out_channels, module.kernel_size, stride=module.stride,
                   padding=module.padding, dilation=module.dilation, groups=module.groups,
                   bias=module.bias is not None, padding_mode=module.padding_mode)

    def _filters(self, spatial: tuple[int, ...], arithmetic: Arithmetic = INTEGERS) -> list[FilterCounts]:
        filters = []
        geometry = zip(spatial, self._per_dim("kernel_size"), self._per_dim("stride"), self.pads(),
                       self._per_dim("dilation"), strict=True)
        for i, (n, k, s, (pl, pr), d) in enumerate(geometry):
            zeros = self.padding_mode == "zeros"
            if arithmetic.symbolic:  # checked by torch's symbolic shapes
                filters.append(conv_filter_counts(n, k, s, pl, pr, d, zeros, arithmetic.lattice, arithmetic.positive))
                continue
            check_conv_filter(n, k, s, pl, pr, d, self.padding_mode, None if self.DIMS == 1 else i)
            filters.append(conv_filter_counts(n, k, s, pl, pr, d, zeros=zeros))
        return filters

    def counts(self, batch: int, spatial: tuple[int, ...], filter: FilterCounts) -> dict[str, int]:
        """Keys: ``output_length`` (output positions), ``taps_kept`` (taps reading the input, not
        the zero padding), ``covered_positions``, ``exact_additions_per_filter``,
        ``exact_multiplications``, ``exact_additions`` and each name of ``analytic.CONVENTIONS``."""
        return conv_module_counts(batch=batch, in_channels=self.in_channels, out_channels=self.out_channels,
                                  groups=self.groups, bias=self.bias, kernel_size=self.kernel_volume, filter=filter)


@dataclass(frozen=True)
class Conv1d(_ConvNd):
    """The counting twin of ``torch.nn.Conv1d``.

    >>> Conv1d(1, 1, 3, padding=1).breakdown((1, 1, 5))["taps_kept"]  # two taps read the zero padding
    13
    >>> Conv1d(80, 512, 7, padding=3).ops((1, 80, 100), "flops")
    57344000
    """

    DIMS: ClassVar[int] = 1


@dataclass(frozen=True)
class Conv2d(_ConvNd):
    """The counting twin of ``torch.nn.Conv2d``; sizes are ints or pairs (stored as pairs)."""

    DIMS: ClassVar[int] = 2


@dataclass(frozen=True)
class Conv3d(_ConvNd):
    """The counting twin of ``torch.nn.Conv3d``; sizes are ints or triples."""

    DIMS: ClassVar[int] = 3


def conv_from_module(module: object) -> _ConvNd | None:
    """The counting twin of a torch forward convolution, or ``None`` for any other module."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    for cls in (Conv1d, Conv2d, Conv3d):
        if isinstance(module, getattr(torch.nn, cls.__name__)):
            return cls.from_module(module)
    return None
