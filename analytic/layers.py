"""Layer specifications that mirror torch's constructors and count without running anything."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from .counts import _filter_counts, check_convention, module_counts
from .validation import as_single, check_filter, check_input_shape, check_kernel, check_layer

__all__ = ["ConvTranspose1d"]


@dataclass(frozen=True)
class ConvTranspose1d:
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
    """

    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: int = 0
    output_padding: int = 0
    groups: int = 1
    bias: bool = True
    dilation: int = 1
    padding_mode: str = "zeros"
    #: accepted for drop-in compatibility with torch's constructor; a count does not depend on them
    device: object = field(default=None, compare=False, repr=False)
    dtype: object = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        c_in, c_out, g, b = check_layer(self.in_channels, self.out_channels, self.groups, self.bias)
        k, s, p, o, d = check_kernel(
            as_single("kernel_size", self.kernel_size),
            as_single("stride", self.stride),
            as_single("padding", self.padding),
            as_single("output_padding", self.output_padding),
            as_single("dilation", self.dilation),
        )
        if self.padding_mode != "zeros":
            raise ValueError(
                f"padding_mode ({self.padding_mode!r}) must be 'zeros':"
                " torch supports no other for transposed convolutions"
            )
        for name, value in (
            ("in_channels", c_in), ("out_channels", c_out), ("groups", g), ("bias", b),
            ("kernel_size", k), ("stride", s), ("padding", p), ("output_padding", o),
            ("dilation", d),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def from_module(cls, module: object) -> ConvTranspose1d:
        """Read a ``torch.nn.ConvTranspose1d``'s hyper-parameters (the module is not run or changed).

        ``TypeError`` for anything that is not a ``ConvTranspose1d``; ``ValueError`` for a
        ``padding_mode`` other than ``'zeros'``.
        """
        torch = sys.modules.get("torch")
        if torch is None or not isinstance(module, torch.nn.ConvTranspose1d):
            raise TypeError(
                f"module must be a torch.nn.ConvTranspose1d, got {type(module).__name__}"
            )
        return cls(
            module.in_channels,
            module.out_channels,
            module.kernel_size,
            stride=module.stride,
            padding=module.padding,
            output_padding=module.output_padding,
            groups=module.groups,
            bias=module.bias is not None,
            dilation=module.dilation,
            padding_mode=module.padding_mode,
        )

    def breakdown(self, input_shape: tuple[int, ...]) -> dict[str, int]:
        """Every intermediate quantity and every convention's total, by name, for one call.

        Keys: ``output_length``, ``psi``, ``lambda``, ``gamma``, ``additions_per_filter``,
        ``exact_additions_per_filter``, ``taps_kept``, ``covered_positions``,
        ``exact_multiplications``, ``exact_additions`` and each name of ``analytic.CONVENTIONS``.

        >>> ConvTranspose1d(1, 1, 3, bias=False).breakdown((1, 2))["additions_per_filter"]
        2
        """
        batch, (length,) = check_input_shape(input_shape, self.in_channels)
        n, k, s, p, o, d = check_filter(
            length, self.kernel_size, self.stride, self.padding, self.output_padding, self.dilation
        )
        return module_counts(
            batch=batch,
            in_channels=self.in_channels,
            out_channels=self.out_channels,
            groups=self.groups,
            bias=self.bias,
            input_size=n,
            kernel_size=k,
            filter=_filter_counts(n, k, s, p, o, d),
        )

    def ops(self, input_shape: tuple[int, ...], convention: str = "moduleprofiler") -> int:
        """Operations of one call on an input of ``input_shape`` under ``convention``.

        ``convention`` is one of ``analytic.CONVENTIONS``: ``moduleprofiler`` (the seed's model),
        ``exact`` (structural multiplications + additions), ``macs`` (fvcore), ``flops``
        (``torch.utils.flop_counter``), ``ptflops``, ``thop``, ``torchinfo``.

        >>> ConvTranspose1d(1, 1, 3, bias=False).ops((1, 1, 2))  # psi*lambda + gamma = 1*(4*3 + 2) + 0
        14
        """
        return self.breakdown(input_shape)[check_convention(convention)]
