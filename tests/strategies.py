"""Hypothesis strategies that build only configurations torch accepts (nothing is filtered)."""

from hypothesis import strategies as st

FILTER_KEYS = ("length", "kernel_size", "stride", "padding", "output_padding", "dilation")


@st.composite
def filter_configs(
    draw, min_length=1, max_length=200, max_kernel=16, max_stride=12, max_dilation=12, max_padding=40
):
    """One filter: stride and dilation first, then an output_padding below their maximum, then a
    padding small enough that the output keeps at least one position."""
    stride = draw(st.integers(1, max_stride), label="stride")
    dilation = draw(st.integers(1, max_dilation), label="dilation")
    kernel_size = draw(st.integers(1, max_kernel), label="kernel_size")
    output_padding = draw(st.integers(0, max(stride, dilation) - 1), label="output_padding")
    length = draw(st.integers(min_length, max_length), label="length")
    # L_out = (n-1)s - 2p + d(k-1) + o + 1 >= 1  <=>  p <= ((n-1)s + d(k-1) + o) / 2
    room = ((length - 1) * stride + dilation * (kernel_size - 1) + output_padding) // 2
    padding = draw(st.integers(0, min(max_padding, room)), label="padding")
    return {
        "length": length,
        "kernel_size": kernel_size,
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
    }


@st.composite
def module_configs(draw, max_length=60, max_channels_per_group=3, max_groups=3):
    """A whole module call: a filter, groups among the divisors of both channel counts, bias on or
    off, and an input shape that is batched (batch 1-3) or unbatched."""
    f = draw(filter_configs(max_length=max_length))
    groups = draw(st.integers(1, max_groups), label="groups")
    in_channels = groups * draw(st.integers(1, max_channels_per_group), label="in_per_group")
    out_channels = groups * draw(st.integers(1, max_channels_per_group), label="out_per_group")
    bias = draw(st.booleans(), label="bias")
    batch = draw(st.one_of(st.none(), st.integers(1, 3)), label="batch (None: unbatched)")
    shape = (in_channels, f["length"]) if batch is None else (batch, in_channels, f["length"])
    layer = {k: v for k, v in f.items() if k != "length"}
    layer.update(in_channels=in_channels, out_channels=out_channels, groups=groups, bias=bias)
    return layer, shape


@st.composite
def nd_filter_configs(draw, dims, max_length=12, max_kernel=5, max_stride=4, max_dilation=3, max_padding=6):
    """One n-d filter: an independent valid 1-d configuration per dimension (mixed strides,
    dilations, paddings and output_paddings), as tuples."""
    per_dim = [draw(filter_configs(max_length=max_length, max_kernel=max_kernel, max_stride=max_stride,
                                   max_dilation=max_dilation, max_padding=max_padding)) for _ in range(dims)]
    return {key: tuple(c[key] for c in per_dim) for key in FILTER_KEYS}


@st.composite
def nd_module_configs(draw, dims, max_channels_per_group=3, max_groups=2):
    """A whole n-d module call: filter per dimension, channels, groups, bias, batched or not."""
    f = draw(nd_filter_configs(dims))
    groups = draw(st.integers(1, max_groups), label="groups")
    in_channels = groups * draw(st.integers(1, max_channels_per_group), label="in_per_group")
    out_channels = groups * draw(st.integers(1, max_channels_per_group), label="out_per_group")
    bias = draw(st.booleans(), label="bias")
    batch = draw(st.one_of(st.none(), st.integers(1, 2)), label="batch (None: unbatched)")
    spatial = f["length"]
    shape = (in_channels, *spatial) if batch is None else (batch, in_channels, *spatial)
    layer = {k: v for k, v in f.items() if k != "length"}
    layer.update(in_channels=in_channels, out_channels=out_channels, groups=groups, bias=bias)
    return layer, shape
