"""Layer specifications that mirror torch's constructors and count without running anything.

One implementation for every dimension: the per-dimension filter counts of
:func:`analytic.core.transposed.valid_filter_counts` combine by product (taps kept ``T = prod T_i``, covered
positions ``Z = prod Z_i``, output size ``prod L_out_i``), and the module conventions take the
products (``input_size = prod L_in_i``, ``kernel_size = prod k_i``).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import ClassVar

from ..core.arithmetic import INTEGERS, Arithmetic
from ..core.filters import FilterCounts
from ..core.transposed import module_counts, valid_filter_counts
from ..core.validation import as_single, as_tuple, check_device_dtype, check_filter, check_kernel, check_layer
from .base import CountingLayer

__all__ = ["ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "spec_from_module"]

_GEOMETRY = ("kernel_size", "stride", "padding", "output_padding", "dilation")


@dataclass(frozen=True)
class _ConvTransposeNd(CountingLayer):
    in_channels: int
    out_channels: int
    kernel_size: object
    stride: object = 1
    padding: object = 0
    output_padding: object = 0
    groups: int = 1
    bias: bool = True
    dilation: object = 1
    padding_mode: str = "zeros"
    #: accepted for drop-in compatibility with torch's constructor; a count does not depend on them
    device: object = field(default=None, compare=False, repr=False)
    dtype: object = field(default=None, compare=False, repr=False)

    DIMS: ClassVar[int] = 0

    def __post_init__(self) -> None:
        c_in, c_out, g, b = check_layer(self.in_channels, self.out_channels, self.groups, self.bias)
        values = {"in_channels": c_in, "out_channels": c_out, "groups": g, "bias": b}
        if self.DIMS == 1:
            values.update(zip(_GEOMETRY, check_kernel(*(as_single(n, getattr(self, n)) for n in _GEOMETRY)),
                              strict=True))
        else:
            columns = [as_tuple(n, getattr(self, n), self.DIMS) for n in _GEOMETRY]
            per_dim = [check_kernel(*geometry, dim=i) for i, geometry in enumerate(zip(*columns, strict=True))]
            values.update(zip(_GEOMETRY, zip(*per_dim, strict=True), strict=True))
        check_device_dtype(self.device, self.dtype)
        if not isinstance(self.padding_mode, str):
            raise TypeError(f"padding_mode must be a str, got {type(self.padding_mode).__name__}")
        if self.padding_mode != "zeros":
            raise ValueError(
                f"padding_mode ({self.padding_mode!r}) must be 'zeros':"
                " torch supports no other for transposed convolutions"
            )
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def kernel_volume(self) -> int:
        """Taps per kernel: ``kernel_size`` in 1-d, the product of the kernel sizes in n-d."""
        return self.kernel_size if self.DIMS == 1 else math.prod(self.kernel_size)

    def _geometry(self, dim: int) -> tuple[int, int, int, int, int]:
        if self.DIMS == 1:
            return self.kernel_size, self.stride, self.padding, self.output_padding, self.dilation
        return tuple(getattr(self, n)[dim] for n in _GEOMETRY)

    @classmethod
    def from_module(cls, module: object) -> _ConvTransposeNd:
        """Read a torch module's hyper-parameters (the module is not run or changed).

        ``TypeError`` for a module of another type; ``ValueError`` for a ``padding_mode`` other
        than ``'zeros'``.
        """
        cls._check_module(module)
        return cls(
            module.in_channels, module.out_channels, module.kernel_size, stride=module.stride,
            padding=module.padding, output_padding=module.output_padding, groups=module.groups,
            bias=module.bias is not None, dilation=module.dilation, padding_mode=module.padding_mode,
        )

    def _filters(self, spatial: tuple[int, ...], arithmetic: Arithmetic = INTEGERS) -> list[FilterCounts]:
        if arithmetic.symbolic:
            return [valid_filter_counts(n, *self._geometry(i), G=arithmetic.lattice, positive=arithmetic.positive)
                    for i, n in enumerate(spatial)]
        if self.DIMS == 1:
            return [valid_filter_counts(*check_filter(spatial[0], *self._geometry(0)))]
        return [valid_filter_counts(*check_filter(n, *self._geometry(i), dim=i)) for i, n in enumerate(spatial)]

    def counts(self, batch: int, spatial: tuple[int, ...], filter: FilterCounts) -> dict[str, int]:
        """Keys: ``output_length``, ``psi``, ``lambda``, ``gamma``, ``additions_per_filter``,
        ``exact_additions_per_filter``, ``taps_kept``, ``covered_positions``,
        ``exact_multiplications``, ``exact_additions`` and each name of ``analytic.CONVENTIONS``."""
        return module_counts(
            batch=batch, in_channels=self.in_channels, out_channels=self.out_channels,
            groups=self.groups, bias=self.bias, input_size=math.prod(spatial), kernel_size=self.kernel_volume,
            filter=filter,
        )



@dataclass(frozen=True)
class ConvTranspose1d(_ConvTransposeNd):
    """The counting twin of ``torch.nn.ConvTranspose1d``: same constructor, no weights.

    Sizes may be ints or 1-tuples, as in torch; they are stored as ints.  Invalid values raise
    the ``ValueError``/``TypeError`` torch's rules call for (see :mod:`analytic.core.validation`).

    >>> layer = ConvTranspose1d(512, 256, kernel_size=16, stride=8, padding=4)
    >>> layer.ops((1, 512, 100))
    1886388224
    >>> layer.ops((512, 100), convention="macs")  # unbatched input counts as one sample
    209715200
    >>> layer.breakdown((1, 512, 100))["exact_multiplications"]
    208666624
    >>> ConvTranspose1d(1, 1, 3, bias=False).ops((1, 1, 2))  # psi*lambda + gamma = 1*(4*3 + 2) + 0
    14
    """

    DIMS: ClassVar[int] = 1


@dataclass(frozen=True)
class ConvTranspose2d(_ConvTransposeNd):
    """The counting twin of ``torch.nn.ConvTranspose2d``; sizes are ints or pairs (stored as pairs).

    >>> layer = ConvTranspose2d(64, 32, kernel_size=4, stride=2, padding=1)
    >>> layer.output_shape((1, 64, 16, 16))
    (1, 32, 32, 32)
    >>> layer.breakdown((1, 64, 16, 16))["taps_kept"]  # per dimension 64 - 2 = 62 taps kept
    3844
    """

    DIMS: ClassVar[int] = 2


@dataclass(frozen=True)
class ConvTranspose3d(_ConvTransposeNd):
    """The counting twin of ``torch.nn.ConvTranspose3d``; sizes are ints or triples."""

    DIMS: ClassVar[int] = 3


_BY_NAME = {cls.__name__: cls for cls in (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)}


def spec_from_module(module: object) -> _ConvTransposeNd | None:
    """The counting twin of a torch transposed convolution, or ``None`` for any other module."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    for name, cls in _BY_NAME.items():
        if isinstance(module, getattr(torch.nn, name)):
            return cls.from_module(module)
    return None
