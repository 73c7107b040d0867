"""Flat cost, proven by instrumentation rather than timing: the work of a count does not depend on
the input length, and grows at most logarithmically with the other sizes.  Also: what
`import analytic` loads."""

import subprocess
import sys
from math import log2

import pytest
from hypothesis import example, given

import analytic
from analytic.core import lattice
from tests.strategies import FILTER_KEYS, filter_configs
from tests.tracing import work


def _lines_executed(function, *args, **kwargs):
    return work(function, *args, **kwargs)[0]


LENGTHS = (16, 1024, 65_536, 1_048_576, 10**18)


@pytest.mark.parametrize(
    "config",
    [
        dict(kernel_size=16, stride=8, padding=4),  # the typical upsampler
        dict(kernel_size=16, stride=8, padding=20, output_padding=3),  # padding > stride: floor sums
        dict(kernel_size=13, stride=6, padding=37, output_padding=5, dilation=4),
        dict(kernel_size=3),
    ],
)
def test_work_per_count_does_not_depend_on_length(config):
    counts = {
        name: {_lines_executed(function, n, **config) for n in LENGTHS}
        for name, function in [("output_length", analytic.output_length),
                               ("additions_per_filter", analytic.additions_per_filter),
                               ("exact_additions_per_filter", analytic.exact_additions_per_filter)]
    }
    assert all(len(lines) == 1 for lines in counts.values()), counts
    layer = analytic.ConvTranspose1d(4, 8, **config)
    for convention in analytic.CONVENTIONS:
        lines = {_lines_executed(layer.ops, (2, 4, n), convention) for n in LENGTHS}
        assert len(lines) == 1, (convention, lines)


def test_work_grows_logarithmically_with_kernel_stride_dilation_padding():
    measured = []
    for e in range(2, 41, 2):
        size = 2**e
        lines, iterations = work(analytic.additions_per_filter, 10**18, size + 1, stride=size // 3 + 1,
                                 padding=size, output_padding=1, dilation=size // 5 + 1)
        measured.append((e, lines, iterations))
        # Euclid: each floor-sum call needs O(log) iterations of a constant number of lines
        assert iterations <= 4 * (2 * log2(size) + 4), measured
    # from 2**2 to 2**40 the line count grows by far less than the factor 2**38 of the sizes
    assert measured[-1][1] <= 20 * measured[0][1], measured


def test_no_loop_over_positions_in_the_numeric_path():
    # Every loop of the numeric modules is listed here with what it iterates over; a new loop
    # has to be looked at (and added) before this test passes again.
    import ast
    import inspect

    from analytic.batch import sweep
    from analytic.core import (
        arithmetic,
        coercion,
        filters,
        forward,
        geometry,
        matmul,
        rules,
        transposed,
        validation,
        vectorized,
    )
    from analytic.layers import base
    from analytic.layers import forward as forward_layers
    from analytic.layers import linear as linear_layer
    from analytic.layers import transposed as transposed_layers

    allowed = {
        ("lattice", "floor_sum"): "Euclid's reduction: O(log) iterations",
        ("vectorized", "floor_sum"): "Euclid's reduction, all elements at once",
        ("vectorized", "lattice_count"): "its five parameters (conversion to arrays)",
        ("vectorized", "checked_add"): "the terms of one sum (of an expression's tree)",
        ("vectorized", "checked_mul"): "the factors of one product (of an expression's tree)",
        ("vectorized", "checked_lattice_count"): "its five parameters (conversion to arrays)",
        ("validation", "check_input_shape"): "the dimensions of input_shape",

        ("validation", "check_keywords"): "the keyword values given, and the dimensions (at most 3)",
        ("validation", "keywords_ok"): "the keyword values given, and the dimensions (at most 3)",
        ("validation", "check_kernel"): "the five geometry parameters",
        ("validation", "check_layer"): "the three channel parameters",
        ("validation", "check_conv_filter"): "the rules of the table (a handful)",
        ("validation", "_per_dimension"): "the dimensions (at most 3) and their six keywords",
        ("rules", "check"): "the rules of a table (a handful) and the keywords of each",
        ("rules", "holds"): "the rules of a table and the keywords of each",
        ("rules", "minimum_of"): "the rules of a table",
        ("rules", "<lambda>"): "the two sides of a padding",
        ("coercion", "as_tuple"): "the entries of a size tuple",
        ("filters", "combine"): "the dimensions (at most 3)",
        ("base", "_split"): "the entries of a symbolic input shape",
        ("base", "output_shape"): "the spatial dimensions",
        ("transposed_layers", "__post_init__"): "the constructor's parameters and dimensions",
        ("transposed_layers", "_geometry"): "the five geometry parameters",
        ("transposed_layers", "_filters"): "the spatial dimensions (at most 3)",
        ("transposed_layers", "spec_from_module"): "the three layer classes",
        ("forward_layers", "__post_init__"): "the constructor's parameters and dimensions",
        ("forward_layers", "pads"): "the spatial dimensions",
        ("forward_layers", "_filters"): "the spatial dimensions",
        ("forward_layers", "conv_from_module"): "the three layer classes",
        ("linear_layer", "__post_init__"): "the two sizes",
        ("linear_layer", "_rows"): "the dimensions of input_shape",
        ("sweep", "_as_int_array"): "elements of an object array being converted",
        ("sweep", "_near_int64"): "parameters",
        ("sweep", "_exact_row"): "the quantities of one row",
        ("sweep", "_scalar_breakdown"): "the keywords of one row",
        ("sweep", "sweep"): "parameters, the rows near int64 (scalar API) and at most 5 invalid rows",
    }
    modules = {"lattice": lattice, "transposed": transposed, "forward": forward, "filters": filters, "matmul": matmul,
               "geometry": geometry, "validation": validation, "vectorized": vectorized, "arithmetic": arithmetic,
               "rules": rules, "coercion": coercion,
               "base": base, "transposed_layers": transposed_layers, "forward_layers": forward_layers,
               "linear_layer": linear_layer, "sweep": sweep}
    found = set()
    for label, module in modules.items():
        tree = ast.parse(inspect.getsource(module))
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef):
                for node in ast.walk(function):
                    if isinstance(node, (ast.For, ast.While, ast.comprehension)):
                        found.add((label, function.name))
    assert found <= set(allowed), found - set(allowed)


def test_import_analytic_loads_neither_torch_nor_sympy_nor_numpy():
    code = ("import sys, analytic; analytic.additions_per_filter(10, 3);"
            "print(sorted(m for m in ('torch', 'sympy', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
    code = "import sys, analytic; analytic.symbolic.ops(); print('sympy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True"


def _outcome(function, *args):
    """What a call gives: ("value", v) or (exception type, message)."""
    try:
        return ("value", function(*args))
    except (TypeError, ValueError) as error:
        return (type(error), str(error))


def _generic_additions(*args):
    return analytic.filter_counts(*args).additions_per_filter


@pytest.mark.slow
def test_hot_path_of_additions_per_filter_equals_the_generic_path_on_every_small_config():
    # additions_per_filter inlines the validation and the formulas for speed; every combination
    # of small ints (about a third of them invalid, so each rule's boundary is crossed) must give
    # the same value or the same error as the generic path.
    import itertools

    values = range(-1, 6)
    mismatches = [
        args for args in itertools.product(values, repeat=6)
        if _outcome(analytic.additions_per_filter, *args) != _outcome(_generic_additions, *args)
    ]
    assert mismatches == []


@pytest.mark.parametrize("odd", [True, 2.0, "2", None])
@pytest.mark.parametrize("position", range(6))
def test_hot_path_of_additions_per_filter_refuses_what_the_generic_path_refuses(odd, position):
    args = [7, 3, 2, 1, 1, 1]
    args[position] = odd
    outcome = _outcome(analytic.additions_per_filter, *args)
    assert outcome[0] is TypeError
    assert outcome == _outcome(_generic_additions, *args)


@given(config=filter_configs(max_length=10**18, max_kernel=10**6, max_stride=10**5,
                             max_dilation=10**5, max_padding=10**12))
@example(config=dict(length=10**18, kernel_size=16, stride=8, padding=4, output_padding=0, dilation=1))
def test_hot_path_of_additions_per_filter_equals_the_generic_path_on_large_configs(config):
    args = tuple(config[key] for key in FILTER_KEYS)
    assert analytic.additions_per_filter(*args) == _generic_additions(*args)
    # NumPy ints take the generic path (conversion) and give the same Python int
    import numpy as np

    value = analytic.additions_per_filter(*map(np.int64, args))
    assert type(value) is int and value == _generic_additions(*args)


@pytest.mark.parametrize("config", [dict(kernel_size=7, padding=3), dict(kernel_size=11, dilation=5, padding=25),
                                    dict(kernel_size=4, stride=3, padding="valid")])
def test_work_per_forward_convolution_does_not_depend_on_length(config):
    layer = analytic.Conv1d(4, 8, **config)
    for convention in analytic.CONVENTIONS:
        lines = {_lines_executed(layer.ops, (2, 4, n), convention) for n in LENGTHS}
        assert len(lines) == 1, (convention, lines)
