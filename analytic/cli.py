"""The ``tapcount`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .counts import CONVENTIONS
from .layers import ConvTranspose1d

INTERMEDIATE = (
    "output_length", "psi", "lambda", "gamma", "additions_per_filter",
    "exact_additions_per_filter", "taps_kept", "covered_positions",
    "exact_multiplications", "exact_additions",
)

COUNT_EXAMPLE = """example (a HiFi-GAN upsampler):
  tapcount count --in-channels 512 --out-channels 256 --kernel-size 16 --stride 8 --padding 4 --length 100
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2, no traceback
        self.exit(2, f"tapcount: error: {message}\n")


def _layer_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--in-channels", type=int, default=1, metavar="C_IN")
    add("--out-channels", type=int, default=1, metavar="C_OUT")
    add("--kernel-size", type=int, required=True, metavar="K")
    add("--stride", type=int, default=1)
    add("--padding", type=int, default=0)
    add("--output-padding", type=int, default=0)
    add("--groups", type=int, default=1)
    add("--dilation", type=int, default=1)
    add("--bias", action=argparse.BooleanOptionalAction, default=True)
    add("--length", type=int, required=True, help="input length L_in")
    add("--batch", type=int, default=1)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tapcount", description="Exact operation counts of torch.nn.ConvTranspose1d.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    count = sub.add_parser(
        "count",
        help="count the operations of one layer under every convention",
        description="Count the operations of one ConvTranspose1d call under every convention.",
        epilog=COUNT_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _layer_options(count)
    count.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def _count(args: argparse.Namespace) -> str:
    layer = ConvTranspose1d(
        args.in_channels, args.out_channels, args.kernel_size, stride=args.stride,
        padding=args.padding, output_padding=args.output_padding, groups=args.groups,
        bias=args.bias, dilation=args.dilation,
    )
    result = layer.breakdown((args.batch, args.in_channels, args.length))
    if args.format == "json":
        return json.dumps({"layer": vars(args) | {"command": None}, "counts": result}, indent=2)
    width = max(map(len, result))
    lines = [f"{name:<{width}}  {result[name]:>22,}" for name in (*CONVENTIONS, *INTERMEDIATE)]
    lines.insert(len(CONVENTIONS), "")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        print(_count(args))
    except (ValueError, TypeError) as error:
        print(f"tapcount: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
