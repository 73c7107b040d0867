"""The lattice count G and the floor sum against direct enumeration; cost independent of length."""

from hypothesis import example, given
from hypothesis import strategies as st

from analytic.core.lattice import floor_sum, lattice_count
from tests.tracing import work


@given(n=st.integers(0, 60), m=st.integers(1, 50), a=st.integers(0, 200), b=st.integers(0, 200))
@example(n=0, m=1, a=0, b=0)
def test_floor_sum_is_the_sum_of_floors(n, m, a, b):
    assert floor_sum(n, m, a, b) == sum((a * i + b) // m for i in range(n))


@given(
    x=st.integers(-20, 400),
    length=st.integers(0, 40),
    kernel_size=st.integers(0, 16),
    stride=st.integers(1, 12),
    dilation=st.integers(1, 12),
)
@example(x=4, length=2, kernel_size=3, stride=1, dilation=1)
@example(x=0, length=5, kernel_size=5, stride=1, dilation=1)
def test_lattice_count_counts_taps_below_x(x, length, kernel_size, stride, dilation):
    expected = sum(
        1 for i in range(length) for m in range(kernel_size) if i * stride + m * dilation < x
    )
    assert lattice_count(x, length, kernel_size, stride, dilation) == expected


def _iterations(x, length, kernel_size, stride, dilation):
    return work(lattice_count, x, length, kernel_size, stride, dilation)[1]


@given(
    x=st.integers(1, 10**6),
    kernel_size=st.integers(1, 10**6),
    stride=st.integers(1, 10**6),
    dilation=st.integers(1, 10**6),
)
def test_cost_does_not_depend_on_length_and_is_logarithmic(x, kernel_size, stride, dilation):
    # Once the input is long enough to cover x, G(x) no longer depends on the length, and neither
    # does the work: the same number of floor-sum iterations at length 10**7 and 10**18.
    short = _iterations(x, 10**7, kernel_size, stride, dilation)
    assert short == _iterations(x, 10**18, kernel_size, stride, dilation)
    # Euclid's bound: at most ~ log_phi(max) + 2 iterations (here max <= 2 * 10**6 + 1).
    assert short <= 33


def test_the_iteration_count_sees_the_floor_sum_loop():
    # x > stride with partial columns: the floor sum runs (Euclid on 7 and 3: a few iterations)
    assert 1 <= _iterations(10**6, 10**7, 1000, 7, 3) <= 10
    assert _iterations(3, 10**7, 1000, 7, 3) == 0  # x <= stride: the O(1) regime, no loop
