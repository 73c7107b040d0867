"""What every counting twin of a torch convolution shares: validation of the input shape, the
arithmetic (ints, or SymPy for symbolic sizes), the output shape, the breakdown and ``ops``."""

from __future__ import annotations

import sys
from typing import ClassVar

from ..core.arithmetic import INTEGERS, Arithmetic
from ..core.conventions import check_convention
from ..core.filters import FilterCounts, combine
from ..core.validation import check_input_shape
from ..symbolic.arithmetic import arithmetic_of

__all__ = ["CountingLayer"]


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
        # symbolic sizes: every rule that does not depend on their values still holds (the rank,
        # the channels, the numbers given); a symbolic batch or spatial size is checked as 1
        shape = tuple(input_shape)
        batched = len(shape) == self.DIMS + 2
        channel = 1 if batched else 0
        if len(shape) in (self.DIMS + 1, self.DIMS + 2) and arithmetic_of(shape[channel]).symbolic:
            raise ValueError(f"input_shape {shape}: the channels must be a number (in_channels={self.in_channels}),"
                             f" only the batch and spatial sizes may be symbolic")
        placeholder = tuple(1 if i != channel and arithmetic_of(v).symbolic else v for i, v in enumerate(shape))
        check_input_shape(placeholder, self.in_channels, self.DIMS)
        return (shape[0] if batched else 1), shape[channel + 1:], arithmetic

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
        return self.counts(batch, spatial, combine(self._filters(spatial, arithmetic)))

    def ops(self, input_shape: tuple[int, ...], convention: str = "moduleprofiler") -> int:
        """Operations of one call on an input of ``input_shape`` under ``convention``, one of
        ``analytic.CONVENTIONS``: ``moduleprofiler`` (moduleprofiler's model), ``exact``
        (structural multiplications + additions), ``macs`` (fvcore), ``flops``
        (``torch.utils.flop_counter``), ``ptflops``, ``thop``, ``torchinfo``."""
        return self.breakdown(input_shape)[check_convention(convention)]
