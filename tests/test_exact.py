"""Properties of the two additions counts that need no torch: sign, coverage, huge lengths."""

from math import gcd

from hypothesis import given
from hypothesis import strategies as st

import analytic
from tests.reference import tap_histogram
from tests.strategies import filter_configs


@given(config=filter_configs(max_length=10**6, max_kernel=10**4, max_stride=10**3,
                             max_dilation=10**3, max_padding=10**5))
def test_exact_additions_never_negative(config):
    assert analytic.exact_additions_per_filter(**config) >= 0


@given(config=filter_configs(max_length=40, max_padding=25))
def test_exact_equals_the_all_ones_count_when_every_position_is_covered(config):
    covered = all(c > 0 for c in tap_histogram(**config))
    exact = analytic.exact_additions_per_filter(**config)
    all_ones = analytic.additions_per_filter(**config)
    assert exact >= all_ones
    assert (exact == all_ones) == covered


def test_all_ones_count_is_negative_when_holes_outnumber_collisions():
    assert analytic.additions_per_filter(length=1, kernel_size=2, dilation=3) == -2
    assert analytic.exact_additions_per_filter(length=1, kernel_size=2, dilation=3) == 0


@given(config=filter_configs(min_length=200, max_length=200), big=st.integers(10**6, 10**18))
def test_huge_lengths_are_exact(config, big):
    # Far from both ends the count grows by a fixed amount per extra input: k - s taps minus output
    # positions for the all-ones count, (k - s')+ collisions for the exact one.  So the value at
    # length `big` follows from the value at a moderate length n0, whose counts are checked
    # against torch elsewhere; n0 = 200 exceeds every crop region of this grid (padding <= 40).
    n0 = config["length"]
    k, s, d = config["kernel_size"], config["stride"], config["dilation"]
    s1 = s // gcd(s, d)
    small = dict(config, length=n0)
    large = dict(config, length=big)
    assert analytic.additions_per_filter(**large) == (
        analytic.additions_per_filter(**small) + (big - n0) * (k - s)
    )
    assert analytic.exact_additions_per_filter(**large) == (
        analytic.exact_additions_per_filter(**small) + (big - n0) * max(k - s1, 0)
    )
    assert analytic.output_length(**large) == analytic.output_length(**small) + (big - n0) * s


def test_length_10_to_the_18_without_padding_matches_the_closed_form():
    n, k, s = 10**18, 16, 8
    assert analytic.output_length(n, k, stride=s) == (n - 1) * s + k
    assert analytic.additions_per_filter(n, k, stride=s) == n * k - ((n - 1) * s + k)
    assert analytic.exact_additions_per_filter(n, k, stride=s) == (n - 1) * (k - s)
    assert type(analytic.additions_per_filter(n, k, stride=s, padding=4)) is int
