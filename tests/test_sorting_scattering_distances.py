"""Selections (top-k, sort, k-th value, median), extrema and counts along a dimension, scatters
(``scatter_add``, ``index_add``) and pairwise distances (``torch.cdist``): their exact counts
against their definitions run on counting numbers (tests/counting.py), whose values must equal
torch's output, through the whole profile (the counting mode on the meta device, the registry,
the formula).

A selection's definition (docs/operators.md): the ``j``-th largest is the largest of what the
``j - 1`` before it left, so the reference selects by repeated maxima (minima for the k-th
smallest) and counts the comparisons it makes.
"""

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import analytic
from tests import counting as c
from tests import models
from tests.helpers import torch_flops
from tests.profiles import examples
from tests.test_operators import _lines as reduction_lines
from tests.test_operators import arrays, exact
from tests.test_outputs import grouped_products


def _lines(x: np.ndarray, dim: int) -> np.ndarray:
    """``x``'s lines along ``dim``, one per row (the reductions' lines of one dimension)."""
    return reduction_lines(x, (dim,))[0].reshape(-1, x.shape[dim])


def _select(row, k, largest=True):
    """The ``k`` largest (smallest) of ``row``, in order, each the extremum of what is left."""
    left, chosen = list(row), []
    for _ in range(k):
        best = c.largest(left) if largest else c.smallest(left)
        chosen.append(best)
        left.remove(best)  # identity: the counting number taken
    return chosen


@st.composite
def lines(draw):
    shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple))
    x = draw(arrays(shape))
    return x, draw(st.integers(-x.ndim, x.ndim - 1))


@given(lines(), st.booleans(), st.data())
@examples(25, deadline=None)
def test_topk_selects_by_repeated_extrema(drawn, largest, data):
    x, dim = drawn
    k = data.draw(st.integers(1, x.shape[dim]))
    c.reset()
    out = [_select(c.counted(row), k, largest) for row in _lines(x, dim)]
    operations = c.count()

    def function(t):
        return torch.topk(t, k, dim, largest=largest).values

    produced = _lines(function(torch.from_numpy(x)).numpy(), dim)
    np.testing.assert_allclose(c.values(out).reshape(produced.shape), produced)
    assert exact(function, torch.from_numpy(x)) == operations


@given(lines(), st.booleans(), st.booleans())
@examples(25, deadline=None)
def test_a_sort_selects_every_value_one_comparison_per_pair(drawn, descending, stable):
    x, dim = drawn
    c.reset()
    out = [_select(c.counted(row), len(row), descending) for row in _lines(x, dim)]
    operations = c.count()
    length = x.shape[dim]
    assert operations == x.size // length * length * (length - 1) // 2

    def function(t):
        return torch.sort(t, dim=dim, descending=descending, stable=stable).values

    produced = _lines(function(torch.from_numpy(x)).numpy(), dim)
    np.testing.assert_allclose(c.values(out).reshape(produced.shape), produced)
    assert exact(function, torch.from_numpy(x)) == operations


@given(lines(), st.sampled_from(["kthvalue", "median", "median_all"]), st.data())
@examples(25, deadline=None)
def test_the_kth_value_and_the_median_select_the_smallest_up_to_theirs(drawn, name, data):
    x, dim = drawn
    rows = [x.reshape(-1)] if name == "median_all" else _lines(x, dim)
    length = len(rows[0])
    k = data.draw(st.integers(1, length)) if name == "kthvalue" else (length + 1) // 2  # torch's lower median
    c.reset()
    out = [_select(c.counted(row), k, largest=False)[-1] for row in rows]
    operations = c.count()
    function = {"kthvalue": lambda t: torch.kthvalue(t, k, dim).values,
                "median": lambda t: torch.median(t, dim).values, "median_all": torch.median}[name]
    produced = function(torch.from_numpy(x)).numpy().reshape(-1)
    np.testing.assert_allclose(c.values(out), produced)
    assert exact(function, torch.from_numpy(x)) == operations


@given(lines(), st.sampled_from(["cummax", "cummin", "aminmax", "count_nonzero"]))
@examples(25, deadline=None)
def test_running_extrema_both_extrema_and_nonzero_counts_along_a_dimension(drawn, name):
    x, dim = drawn
    x = np.where(np.abs(x) < 1.0, 0.0, x)  # some zeros to count
    c.reset()
    out = []
    for row in _lines(x, dim):
        row = list(c.counted(row))
        if name in ("cummax", "cummin"):
            extremum = c.maximum if name == "cummax" else c.minimum
            running = [row[0]]
            for v in row[1:]:
                running.append(extremum(running[-1], v))
            out.append(running)
        elif name == "aminmax":
            out.append([c.smallest(row), c.largest(row)])
        else:
            out.append([c.total([c.Counted(0.0 if c.equal(v, 0.0) else 1.0) for v in row])])
    operations = c.count()
    function = {"cummax": lambda t: torch.cummax(t, dim).values, "cummin": lambda t: torch.cummin(t, dim).values,
                "aminmax": lambda t: torch.stack(torch.aminmax(t, dim=dim), -1),
                "count_nonzero": lambda t: torch.count_nonzero(t, dim).unsqueeze(-1)}[name]
    produced = function(torch.from_numpy(x)).numpy()
    produced = _lines(produced, dim) if name.startswith("cum") else produced.reshape(-1, produced.shape[-1])
    np.testing.assert_allclose(c.values(out), produced)
    assert exact(function, torch.from_numpy(x)) == operations


@given(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), st.booleans(), st.data())
@examples(25, deadline=None)
def test_scatter_add_and_index_add_add_each_element_they_scatter(shape, index_add, data):
    x = data.draw(arrays(shape))
    dim = data.draw(st.integers(0, len(shape) - 1))
    if index_add:
        count = data.draw(st.integers(1, 5))
        index = np.array(data.draw(st.lists(st.integers(0, shape[dim] - 1), min_size=count, max_size=count)))
        source = data.draw(arrays((*shape[:dim], count, *shape[dim + 1:])))
        alpha = data.draw(st.sampled_from([1.0, 0.5]))
    else:  # an index no larger than the source, repeated positions included
        index_shape = tuple(data.draw(st.integers(1, n)) for n in shape)
        index = np.array(data.draw(st.lists(st.integers(0, shape[dim] - 1), min_size=math.prod(index_shape),
                                            max_size=math.prod(index_shape)))).reshape(index_shape)
        source = data.draw(arrays(tuple(n + data.draw(st.integers(0, 1)) for n in index_shape)))
    c.reset()
    out = c.counted(x).copy()
    src = c.counted(source)
    if index_add:
        for position in np.ndindex(*source.shape):
            target = (*position[:dim], int(index[position[dim]]), *position[dim + 1:])
            out[target] = out[target] + (src[position] if alpha == 1.0 else alpha * src[position])
    else:
        for position in np.ndindex(*index.shape):
            target = (*position[:dim], int(index[position]), *position[dim + 1:])
            out[target] = out[target] + src[position]
    operations = c.count()
    tensors = (torch.from_numpy(x), torch.from_numpy(source))

    def function(t, s):
        if index_add:
            return t.index_add(dim, torch.from_numpy(index), s, alpha=alpha)
        return t.scatter_add(dim, torch.from_numpy(index), s)

    produced = function(*tensors).numpy()
    np.testing.assert_allclose(c.values(out), produced, rtol=1e-6, atol=1e-9)
    assert exact(function, *tensors) == operations


def _distance(a, b, p):
    differences = [u - v for u, v in zip(a, b, strict=True)]
    if p == 0:
        return c.total([c.Counted(0.0 if c.equal(d, 0.0) else 1.0) for d in differences])
    if p == 1:
        return c.total([c.absolute(d) for d in differences])
    if p == math.inf:
        return c.largest([c.absolute(d) for d in differences])
    if p == 2:
        return c.fn.sqrt(c.total([d * d for d in differences]))
    return c.fn.pow(c.total([c.fn.pow(c.absolute(d), p) for d in differences]), 1.0 / p)


@given(st.integers(1, 2), st.integers(1, 6), st.integers(1, 6), st.integers(1, 4),
       st.sampled_from([0.0, 1.0, 2.0, 3.0, math.inf]), st.data())
@examples(25, deadline=None)
def test_pairwise_distances_count_their_p_norms(batch, rows_a, rows_b, width, p, data):
    a = data.draw(arrays((batch, rows_a, width)))
    b = data.draw(arrays((batch, rows_b, width)))
    if p == 0:
        b = np.where(np.abs(b) < 1.0, a[:, :1], b)  # some equal coordinates for the 0-"norm" to skip
    c.reset()
    ca, cb = c.counted(a), c.counted(b)
    out = [[[_distance(ca[n, i], cb[n, j], p) for j in range(rows_b)] for i in range(rows_a)] for n in range(batch)]
    operations = c.count()

    def function(s, t):
        return torch.cdist(s, t, p=p)

    produced = function(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    np.testing.assert_allclose(c.values(out), produced, rtol=1e-6, atol=1e-9)
    assert exact(function, torch.from_numpy(a), torch.from_numpy(b)) == operations


@given(st.lists(st.integers(0, 6), min_size=1, max_size=12), st.booleans(), st.data())
@examples(15, deadline=None)
def test_bincount_adds_each_element_into_its_bin(values, weighted, data):
    x = torch.tensor(values)
    weights = data.draw(arrays((len(values),))) if weighted else None
    c.reset()
    bins = [c.Counted(0.0) for _ in range(max(values) + 1)]
    for k, v in enumerate(values):
        bins[v] = bins[v] + (c.Counted(float(weights[k])) if weighted else 1.0)
    operations = c.count()

    def function(t, *w):
        return torch.bincount(t, w[0] if w else None)

    tensors = [x] + ([torch.from_numpy(weights)] if weighted else [])
    np.testing.assert_allclose(c.values(bins), function(*tensors).double().numpy(), rtol=1e-6, atol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no meta kernel: a real CPU forward counts it
        assert exact(function, *tensors) == operations


@given(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), st.sampled_from(["long", "bool"]),
       st.booleans(), st.data())
@examples(20, deadline=None)
def test_an_accumulating_index_put_adds_each_value_into_its_element(shape, index_kind, broadcast, data):
    x = data.draw(arrays(shape))
    if index_kind == "bool":  # a mask over the first dimension: one value per row selected
        mask = np.array(data.draw(st.lists(st.booleans(), min_size=shape[0], max_size=shape[0])))
        index, rows = torch.from_numpy(mask), [int(i) for i in np.flatnonzero(mask)]
        values = data.draw(arrays((len(rows), *shape[1:])))
    else:  # indices, repeated ones included, and values maybe broadcast over them
        rows = data.draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=5))
        index = torch.tensor(rows)
        values = data.draw(arrays((1, *shape[1:]) if broadcast else (len(rows), *shape[1:])))
    c.reset()
    out = c.counted(x).copy()
    given = c.counted(values)
    for k, row in enumerate(rows):
        for rest in np.ndindex(*shape[1:]):
            out[(row, *rest)] = out[(row, *rest)] + given[(0 if len(given) == 1 else k, *rest)]
    operations = c.count()

    def function(t, v):
        return t.index_put((index,), v, accumulate=True)

    tensors = torch.from_numpy(x), torch.from_numpy(values)
    np.testing.assert_allclose(c.values(out), function(*tensors).numpy(), rtol=1e-6, atol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a boolean index needs values: a real CPU forward
        assert exact(function, *tensors) == operations


def test_an_index_put_that_writes_moves_data_and_an_indexing_gradient_adds():
    class Rows(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.table = torch.nn.Parameter(torch.randn(10, 8))

        def forward(self, x):
            y = x.clone()
            y[torch.tensor([0, 2])] = 1.0  # a write: data movement
            return self.table[torch.tensor([1, 3, 3, 7])] * y

    prof = analytic.profile(Rows(), (4, 8), backward=True)
    assert "aten::index_put_" in prof.data_movement
    gradients = [r for r in prof.rows if r.op == "aten::index_put"]
    # the table's gradient: each of the 4 x 8 looked-up values' gradients added into its row
    assert [(r.phase, r.counts["exact"]) for r in gradients] == [("backward", 32)]


@given(grouped_products())
@examples(25, deadline=None)
def test_a_grouped_product_counts_a_dot_product_per_output(case):
    """``torch._grouped_mm`` by its definition on counting numbers: each output element the dot
    product of its row and column within its group (the values must equal torch's)."""
    a, b, offs = case
    c.reset()
    ca, cb = c.counted(a.numpy()), c.counted(b.numpy())
    bounds = [0, *(int(e) for e in offs)] if offs is not None else None

    def dot(row, column):
        return c.total([x * y for x, y in zip(row, column, strict=True)])

    if a.dim() == 2 and b.dim() == 3:  # row r by the matrix of its group
        groups = [next(g for g in range(len(bounds) - 1) if bounds[g] <= r < bounds[g + 1]) for r in range(a.shape[0])]
        out = [[dot(ca[r], cb[groups[r]][:, j]) for j in range(b.shape[2])] for r in range(a.shape[0])]
    elif a.dim() == 3 and b.dim() == 2:  # column j by the matrix of its group
        groups = [next(g for g in range(len(bounds) - 1) if bounds[g] <= j < bounds[g + 1]) for j in range(b.shape[1])]
        out = [[dot(ca[groups[j]][r], cb[:, j]) for j in range(b.shape[1])] for r in range(a.shape[1])]
    elif a.dim() == 3:
        out = [[[dot(ca[g][r], cb[g][:, j]) for j in range(b.shape[2])] for r in range(a.shape[1])]
               for g in range(a.shape[0])]
    else:  # the shared dimension cut into groups: a product per group
        out = [[[dot(ca[r, bounds[g]:bounds[g + 1]], cb[bounds[g]:bounds[g + 1], j]) for j in range(b.shape[1])]
                for r in range(a.shape[0])] for g in range(len(bounds) - 1)]
    operations = c.count()
    expected = torch._grouped_mm(a, b, offs=offs)
    np.testing.assert_allclose(c.values(out), expected.numpy(), rtol=1e-5, atol=1e-5)

    def function(x, y, *ends):
        return torch._grouped_mm(x, y, offs=ends[0] if ends else None)

    assert exact(function, a, b, *(() if offs is None else (offs,))) == operations


@given(st.integers(2, 40), st.integers(1, 6), st.booleans(), st.data())
@examples(25, deadline=None)
def test_a_histogram_counts_its_definition(elements, bins, data_range, data):
    x = data.draw(arrays((elements,), -2.0, 2.0))
    low, high = (0.0, 0.0) if data_range else (-1.5, 1.0)  # some elements outside [-1.5, 1]
    c.reset()
    xs = list(c.counted(x))
    if data_range:
        low, high = c.smallest(xs), c.largest(xs)
        assume(not c.equal(low, high))
    span = high - low  # counted once where the range is the data's
    counts_ = [c.Counted(0.0)] * bins
    for v in xs:  # each element adds 1 into its bin if inside the range, 0 into a bin if not
        above, below = v >= low, v <= high  # 2 comparisons, both made
        inside = above and below
        position = c.floor((v - low) * bins / span)  # 3, and the floor
        index = min(max(int(position.value), 0), bins - 1)  # clamped to the bins: index arithmetic
        counts_[index] = counts_[index] + (1.0 if inside else 0.0)
    operations = c.count()
    produced = torch.histc(torch.from_numpy(x), bins=bins, min=float(0 if data_range else -1.5),
                           max=float(0 if data_range else 1.0))
    np.testing.assert_allclose(c.values(counts_), produced.numpy())
    assert exact(lambda t: torch.histc(t, bins=bins, min=0 if data_range else -1.5, max=0 if data_range else 1.0),
                 torch.from_numpy(x)) == operations


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "training step"])
def test_a_mixture_of_experts_counts_on_meta_what_a_cpu_pass_counts(backward):
    # torch's meta kernel of the grouped products refuses float32, which the CPU computes: the meta
    # pass makes their outputs itself; torch's counter counts the router's and no grouped product
    model, shape = models.mixture_of_experts(), (2, 8, 16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no CPU pass
        meta = analytic.profile(model, shape, backward=backward)
    cpu = analytic.profile(model, shape, backward=backward, device="cpu")
    assert meta.device == "meta" and not meta.uncounted
    assert meta.total == cpu.total
    if not backward:  # the training step against torch's counter: tests/test_backward.py
        assert meta.total["flops"] == torch_flops(model, shape)
    grouped = [r for r in meta.rows if r.op == "aten::_grouped_mm" and r.phase == "forward"]
    # 16 tokens, 2 experts each: 32 rows by (16 x 64), then 32 rows by (32 x 16)
    assert [r.counts["exact"] for r in grouped] == [32 * 64 * (2 * 16 - 1), 32 * 16 * (2 * 32 - 1)]
