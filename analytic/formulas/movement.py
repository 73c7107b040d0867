"""Operators that only move, view, copy or create data: zero arithmetic, listed apart as data
movement (``Profile.data_movement``), with the bytes they produce.

An index computation, a copy, a concatenation, a padding, a gather or a random draw does no
arithmetic on the tensor's values; nor does creating a tensor (``zeros``, ``arange``, a window
function's values: constants of its size, known before the call).
"""

from __future__ import annotations

from .registry import DATA_MOVEMENT, counts, numel, register_formula

__all__ = ["DATA_MOVEMENT_OPERATORS", "index_put"]

#: every operator that only moves data (its in-place variant ``name_`` too)
DATA_MOVEMENT_OPERATORS = (
    # views and reshapes
    "view", "_unsafe_view", "reshape", "_reshape_alias", "view_as", "t", "transpose", "permute", "expand",
    "expand_as", "squeeze", "unsqueeze", "flatten", "unflatten", "view_as_real", "view_as_complex", "as_strided",
    "slice", "select", "narrow", "split", "split_with_sizes", "unsafe_split", "unsafe_split_with_sizes", "chunk",
    "unbind", "movedim", "diagonal", "unfold", "alias", "_conj", "conj", "resolve_conj", "resolve_neg", "real",
    "imag", "numpy_T", "mT", "mH", "adjoint", "swapaxes", "swapdims", "detach", "lift_fresh_copy",
    # copies and concatenations
    "clone", "contiguous", "copy", "_to_copy", "to", "_copy_from", "_copy_from_and_resize", "cat", "stack",
    "hstack", "vstack", "dstack", "repeat", "repeat_interleave", "tile", "roll", "flip", "fliplr", "flipud",
    "rot90", "tril", "triu", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "complex", "polar_copy",
    "im2col", "diag", "diag_embed", "one_hot",
    # padding (constant, reflection, replication, circular): copies of values
    "constant_pad_nd", "pad", "reflection_pad1d", "reflection_pad2d", "reflection_pad3d", "replication_pad1d",
    "replication_pad2d", "replication_pad3d", "_pad_circular", "_pad_enum",
    # indexing
    "index", "index_select", "gather", "take", "take_along_dim", "masked_select",
    "scatter", "slice_scatter", "select_scatter", "diagonal_scatter", "as_strided_scatter", "nonzero",
    "index_fill", "index_copy", "max_unpool2d", "max_unpool3d",
    # packed sequences (nn.utils.rnn): the steps' rows gathered, scattered back
    "_pack_padded_sequence", "_pad_packed_sequence", "_pack_padded_sequence_backward",
    # creation
    "empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "zeros", "zeros_like", "new_zeros",
    "ones", "ones_like", "new_ones", "full", "full_like", "new_full", "scalar_tensor", "arange", "linspace",
    "logspace", "eye", "rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm",
    "multinomial", "poisson", "hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window",
    "set", "resize", "resize_as", "_efficientzerotensor",
)

for _name in DATA_MOVEMENT_OPERATORS:
    register_formula(f"aten::{_name}", f"aten::{_name}_", kind=DATA_MOVEMENT)(counts)


def _broadcast(shapes) -> tuple:
    """The shape ``shapes`` broadcast to (their sizes aligned at the right; a size 1 takes the other)."""
    rank = max((len(s) for s in shapes), default=0)
    out = [1] * rank
    for shape in shapes:
        for i, size in enumerate(shape, rank - len(shape)):
            out[i] = out[i] if size == 1 else size
    return tuple(out)


@register_formula("aten::index_put", "aten::index_put_", "aten::_index_put_impl", "aten::_index_put_impl_")
def index_put(x, indices, values, accumulate=False, *args, out_shape=None):
    """``x[indices] = values`` moves data (``None``: listed as data movement); with ``accumulate``
    (``x[indices] += values`` in one call, an indexing's gradient) each value is added into its
    element: one addition per element indexed (the index tensors broadcast together, times the
    sizes of the dimensions not indexed; a boolean mask's count of true values depends on them,
    so there the values given, one per element selected)."""
    if not accumulate:
        return None
    given = [i for i in indices if i is not None]
    if any(getattr(i, "dtype", "") == "bool" for i in given):
        return counts(numel(values), moduleprofiler=0)
    rest = [size for d, size in enumerate(x) if d >= len(indices) or indices[d] is None]
    return counts(numel(_broadcast(given)) * numel(rest), moduleprofiler=0)
