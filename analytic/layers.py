"""Layer specifications that mirror torch's constructors and count without running anything.

One implementation for every dimension: the per-dimension filter counts of
:func:`analytic.counts.valid_filter_counts` combine by product (taps kept ``T = prod T_i``, covered
positions ``Z = prod Z_i``, output size ``prod L_out_i``), and the module conventions take the
products (``input_size = prod L_in_i``, ``kernel_size = prod k_i``).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import ClassVar

from .arithmetic import INTEGERS, Arithmetic, arithmetic_of
from .counts import FilterCounts, check_convention, module_counts, valid_filter_counts
from .validation import (
    as_single,
    as_tuple,
    check_device_dtype,
    check_filter,
    check_input_shape,
    check_kernel,
    check_layer,
)

__all__ = ["ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "CountingLayer", "spec_from_module"]

_GEOMETRY = ("kernel_size", "stride", "padding", "output_padding", "dilation")


class CountingLayer:
    """What every counting twin of a torch convolution shares: a subclass gives its per-dimension
    filter counts (``_filters``) and its conventions from them (``counts``); the output shape, the
    breakdown (the per-dimension counts combined by product) and ``ops`` follow."""

    DIMS: ClassVar[int] = 0
    in_channels: int
    out_channels: int

    def _filters(self, spatial: tuple[int, ...], arithmetic: Arithmetic = INTEGERS) -> list[FilterCounts]:
        """The filter counts of each dimension; ``arithmetic`` SymPy's for symbolic sizes (which
        the caller, torch's symbolic shapes, has checked: no check here then)."""
        raise NotImplementedError

    def counts(self, batch: int, spatial: tuple[int, ...], filter: FilterCounts) -> dict[str, int]:
        """Every quantity and convention from the (combined) filter counts of one call on an input
        of ``spatial`` size: the step the analytic breakdown and the measurement on torch
        (``empirical``) share."""
        raise NotImplementedError

    @classmethod
    def _check_module(cls, module: object) -> None:
        torch = sys.modules.get("torch")
        expected = getattr(torch.nn, cls.__name__) if torch is not None else None
        if expected is None or not isinstance(module, expected):
            raise TypeError(f"module must be a torch.nn.{cls.__name__}, got {type(module).__name__}")

    def _split(self, input_shape: tuple[int, ...]) -> tuple[object, tuple, Arithmetic]:
        """``(batch, spatial sizes, arithmetic)``: checked for ints; sizes that are SymPy
        expressions (a symbolic profile's) are taken as torch gave them."""
        try:  # ints first: the numeric path pays nothing for the symbolic one
            return (*check_input_shape(input_shape, self.in_channels, self.DIMS), INTEGERS)
        except (TypeError, ValueError):
            arithmetic = arithmetic_of(*input_shape) if isinstance(input_shape, (tuple, list)) else INTEGERS
            if not arithmetic.symbolic:
                raise
        shape = tuple(input_shape)
        if len(shape) != self.DIMS + 2:  # unbatched
            shape = (1, *shape)
        return shape[0], shape[2:], arithmetic

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape torch produces for ``input_shape`` (batched or not)."""
        batch, spatial, arithmetic = self._split(input_shape)
        outs = tuple(f.output_length for f in self._filters(spatial, arithmetic))
        head = (batch,) if len(input_shape) == self.DIMS + 2 else ()
        return (*head, self.out_channels, *outs)

    def breakdown(self, input_shape: tuple[int, ...]) -> dict[str, int]:
        """Every intermediate quantity and every convention's total, by name, for one call
        (``output_length`` and the filter counts in n-d: products over the dimensions).

        Spatial sizes may be SymPy expressions (torch's symbolic shapes): every count is then the
        expression of the same formulas."""
        batch, spatial, arithmetic = self._split(input_shape)
        filters = self._filters(spatial, arithmetic)
        combined = filters[0] if len(filters) == 1 else FilterCounts(
            *(math.prod(column) for column in zip(*filters, strict=True)))
        return self.counts(batch, spatial, combined)

    def ops(self, input_shape: tuple[int, ...], convention: str = "moduleprofiler") -> int:
        """Operations of one call on an input of ``input_shape`` under ``convention``, one of
        ``analytic.CONVENTIONS``: ``moduleprofiler`` (moduleprofiler's model), ``exact``
        (structural multiplications + additions), ``macs`` (fvcore), ``flops``
        (``torch.utils.flop_counter``), ``ptflops``, ``thop``, ``torchinfo``."""
        return self.breakdown(input_shape)[check_convention(convention)]


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
    the ``ValueError``/``TypeError`` torch's rules call for (see :mod:`analytic.validation`).

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
