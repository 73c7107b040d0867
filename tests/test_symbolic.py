"""analytic.symbolic: the derived expressions equal the numeric counts; exports agree; regimes hold."""

import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given
from hypothesis import strategies as st
from sympy import Integer, Sum, Symbol

import analytic
from analytic import symbolic
from analytic.symbolic import symbols as sy
from analytic.symbolic.functions import ExactQuotient, IntGcd, LatticeCount, PositivePart, expand_sums
from tests.profiles import examples
from tests.strategies import filter_configs, module_configs
from tests.tools import require

FILTER_QUANTITIES = ("output_length", "taps_kept", "covered_positions", "additions_per_filter",
                     "exact_additions_per_filter")
# SymPy substitution costs ~1 ms; these properties run fewer (but still hundreds of) examples
symbolic_settings = examples(300, suppress_health_check=[HealthCheck.too_slow])


def numeric(config):
    f = analytic.filter_counts(**config)
    return {
        "output_length": f.output_length,
        "taps_kept": f.taps_kept,
        "covered_positions": f.covered_positions,
        "additions_per_filter": analytic.additions_per_filter(**config),
        "exact_additions_per_filter": analytic.exact_additions_per_filter(**config),
    }


@pytest.mark.slow
@symbolic_settings
@given(config=filter_configs(max_length=10**6, max_kernel=64, max_stride=24, max_dilation=24,
                             max_padding=500))
@example(config=dict(length=9, kernel_size=7, stride=4, padding=9, output_padding=3, dilation=6))
@example(config=dict(length=1, kernel_size=2, stride=1, padding=0, output_padding=0, dilation=3))
def test_filter_expressions_equal_the_numeric_counts(config):
    values = {sy.BY_NAME[k]: v for k, v in config.items()}
    expected = numeric(config)
    for key in FILTER_QUANTITIES:
        got = symbolic.quantity(key).subs(values)
        assert isinstance(got, Integer), (key, got)
        assert int(got) == expected[key], key


def test_public_names_and_symbol_assumptions():
    assert symbolic.additions_per_filter() == symbolic.quantity("additions_per_filter")
    expr = symbolic.exact_additions_per_filter()
    names = {s.name for s in expr.free_symbols}
    assert names == {"length", "kernel_size", "stride", "padding", "output_padding", "dilation"}
    for s in expr.free_symbols:
        assert s.is_integer
        assert s.is_nonnegative
        assert bool(s.is_positive) == (s.name not in ("padding", "output_padding"))
    ops_names = {s.name for s in symbolic.ops("moduleprofiler").free_symbols}
    assert {"batch", "in_channels", "out_channels", "groups"} <= ops_names
    assert "bias" in {s.name for s in symbolic.ops("exact", bias=None).free_symbols}
    with pytest.raises(ValueError, match="convention"):
        symbolic.ops("nope")
    with pytest.raises(TypeError, match="bias must be a bool"):
        symbolic.ops("exact", bias=1)


@pytest.mark.slow
@symbolic_settings
@given(case=module_configs(max_length=200, max_channels_per_group=8, max_groups=6))
def test_module_expressions_equal_layer_ops(case):
    layer_kw, shape = case
    layer = analytic.ConvTranspose1d(**layer_kw)
    batch = shape[0] if len(shape) == 3 else 1
    values = {k: v for k, v in layer_kw.items() if k != "bias"} | {"batch": batch, "length": shape[-1]}
    for convention in analytic.CONVENTIONS:
        expr = symbolic.ops(convention, bias=layer_kw["bias"])
        assert symbolic.evaluate(expr, **values) == layer.ops(shape, convention), convention


def test_gcd_stays_an_integer_gcd_on_symbols():
    # sympy.gcd(stride, dilation) would be the polynomial gcd, 1; ours stays unevaluated
    g = IntGcd(sy.stride, sy.dilation)
    assert g.func is IntGcd and g.is_positive and g.is_integer
    assert g.subs({sy.stride: 4, sy.dilation: 6}) == 2
    assert IntGcd(sy.stride, 1) == 1
    assert ExactQuotient(sy.stride, g).subs({sy.stride: 4, sy.dilation: 6}) == 2
    assert PositivePart(sy.padding) == sy.padding  # nonnegative symbol: no-op
    assert PositivePart(-sy.stride) == 0


@pytest.mark.slow
@examples(300)
@given(x=st.integers(-5, 80), n=st.integers(-3, 10), k=st.integers(-3, 8), s=st.integers(1, 7),
       d=st.integers(1, 7))
def test_lattice_function_evaluates_and_rewrites_to_its_floor_sum(x, n, k, s, d):
    brute = sum(1 for i in range(max(n, 0)) for m in range(max(k, 0)) if i * s + m * d < x)
    assert LatticeCount(x, n, k, s, d) == brute
    xs = Symbol("x", integer=True)
    assert expand_sums(LatticeCount(xs, n, k, s, d).rewrite(Sum).subs(xs, x)) == brute


def test_lattice_function_prints_readably():
    g = LatticeCount(sy.padding, sy.length, sy.kernel_size, sy.stride, sy.dilation)
    assert symbolic.latex(g) == r"G_{L_{\mathrm{in}},\,k}\!\left(p;\, s, d\right)"


# ---- regimes -------------------------------------------------------------------------------

@pytest.mark.slow
@symbolic_settings
@given(config=filter_configs(max_length=300, max_padding=60), regime=st.sampled_from(sorted(symbolic.REGIMES)))
def test_regime_formulas_equal_the_general_one_inside_their_regime(config, regime):
    forced = dict(config)
    if regime == "padding = 0":
        forced["padding"] = 0
    elif regime == "padding <= stride":
        forced["padding"] = min(config["padding"], config["stride"])
    elif regime == "dilation = 1":
        forced["dilation"] = 1
        forced["output_padding"] = min(config["output_padding"], config["stride"] - 1)
    else:  # stride = 1
        forced["stride"] = 1
        forced["output_padding"] = min(config["output_padding"], config["dilation"] - 1)
    try:
        analytic.output_length(**forced)
    except ValueError:
        forced["padding"] = 0  # forcing made the output empty: no padding is always valid
    assert symbolic.regimes.in_regime(regime, forced)
    values = {sy.BY_NAME[k]: v for k, v in forced.items()}
    expected = numeric(forced)
    for key in ("additions_per_filter", "exact_additions_per_filter"):
        special = symbolic.specialise(symbolic.quantity(key), regime)
        assert special.subs(values) == expected[key], (key, regime)


def test_regime_closed_forms_are_the_simple_ones():
    n, k, s, p, _o, d = sy.FILTER_SYMBOLS
    s1 = ExactQuotient(s, IntGcd(s, d))
    d1 = ExactQuotient(d, IntGcd(s, d))
    A0 = symbolic.specialise(symbolic.additions_per_filter(), "padding = 0")
    E0 = symbolic.specialise(symbolic.exact_additions_per_filter(), "padding = 0")
    assert (A0 - (n * k - symbolic.output_length().subs(p, 0))).expand() == 0
    assert PositivePart(n - d1) * PositivePart(k - s1) == E0
    assert symbolic.specialise(symbolic.exact_additions_per_filter(), "padding <= stride") == E0
    assert not symbolic.specialise(symbolic.additions_per_filter(), "padding <= stride").has(LatticeCount)


# ---- exports -------------------------------------------------------------------------------

ALL_EXPRESSIONS = {key: symbolic.quantity(key) for key in FILTER_QUANTITIES} | {
    f"ops:{c}:{b}": symbolic.ops(c, bias=b) for c in analytic.CONVENTIONS for b in (True, False)
}


@pytest.mark.parametrize("key", sorted(ALL_EXPRESSIONS))
def test_json_round_trips(key):
    expr = ALL_EXPRESSIONS[key]
    assert symbolic.from_json(symbolic.to_json(expr)) == expr


def test_json_refuses_foreign_content():
    bad = '{"format": "tapcount-expr", "version": 1, "expr": {"op": "eval", "args": []}}'
    with pytest.raises(ValueError, match="unknown operation"):
        symbolic.from_json(bad)
    with pytest.raises(ValueError, match="unknown symbol"):
        symbolic.from_json('{"format": "tapcount-expr", "version": 1, "expr": {"symbol": "os"}}')


@pytest.fixture(scope="module", params=["python", "numpy", "c"])
def compiled(request):
    """Python, NumPy or C functions of every filter quantity and every module convention."""
    if request.param == "c":
        require("cc")
    make = {"python": symbolic.to_python, "numpy": symbolic.to_numpy, "c": symbolic.to_c}[request.param]
    out = {}
    for key, expr in ALL_EXPRESSIONS.items():
        args = symbolic.export.arguments(expr)
        out[key] = (args, request.param, make(expr, args))
    return out


grid_cases = st.lists(module_configs(max_length=200, max_channels_per_group=8, max_groups=6),
                      min_size=1, max_size=40)


@pytest.mark.slow
@examples(60)
@given(cases=grid_cases)
def test_lambdified_numpy_and_c_functions_agree_with_the_layer(compiled, cases):
    rows = []
    for layer_kw, shape in cases:
        values = {k: v for k, v in layer_kw.items() if k != "bias"}
        values |= {"batch": shape[0] if len(shape) == 3 else 1, "length": shape[-1]}
        rows.append((layer_kw, shape, values))
    for key, (args, kind, function) in compiled.items():
        expected = []
        for layer_kw, shape, values in rows:
            if key.startswith("ops:"):
                _, convention, bias = key.split(":")
                if (bias == "True") != layer_kw["bias"]:
                    layer_kw = layer_kw | {"bias": bias == "True"}
                expected.append(analytic.ConvTranspose1d(**layer_kw).ops(shape, convention))
            else:
                config = {a.name: values[a.name] for a in args}
                expected.append(numeric(config)[key])
        arg_rows = [[values[a.name] for a in args] for _, _, values in rows]
        if kind == "numpy":
            columns = [np.array(col, dtype=np.int64) for col in zip(*arg_rows, strict=False)]
            assert function(*columns).tolist() == expected, key
        else:
            assert [function(*r) for r in arg_rows] == expected, key


def test_python_source_runs():
    source = symbolic.python_source(symbolic.exact_additions_per_filter(), name="exact")
    namespace = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    assert namespace["exact"](length=1, kernel_size=2, stride=1, padding=0, output_padding=0,
                              dilation=3) == 0
    assert namespace["exact"](9, 7, 4, 9, 3, 6) == analytic.exact_additions_per_filter(9, 7, 4, 9, 3, 6)


@given(x=st.integers(1, 40), n=st.integers(1, 50), k=st.integers(1, 20), s=st.integers(1, 40), d=st.integers(1, 9))
def test_lattice_function_evaluates_with_a_symbolic_length_when_only_input_0_counts(x, n, k, s, d):
    g = LatticeCount(x, sy.length, k, s, d)
    if x <= s:
        assert g.is_Integer and g == LatticeCount(x, n, k, s, d)
    else:
        assert g.func is LatticeCount and g.subs(sy.length, n) == LatticeCount(x, n, k, s, d)


def test_latex_reads_like_a_paper_in_any_printer():
    import sympy

    # a sum starts with a positive term, as on paper
    assert symbolic.latex(symbolic.quantity("taps_kept") - symbolic.quantity("output_length")).startswith(
        r"k L_{\mathrm{in}}")
    assert symbolic.latex(sy.padding - sy.output_padding) == r"p - p_{\mathrm{out}}"
    assert r"\left(p - p_{\mathrm{out}}\right)^{+}" in symbolic.latex(symbolic.additions_per_filter())
    from analytic.symbolic.derivation import L_out, T

    assert symbolic.latex(T - L_out) == r"T - L_{\mathrm{out}}"
    # SymPy's own printer names every symbol as the paper does (no kernel_{size}, output_{padding})
    for expr in (symbolic.ops("moduleprofiler", bias=None), symbolic.ops("exact", dims=2),
                 T - L_out):
        own = sympy.latex(expr)
        assert "_{size}" not in own and "_{padding}" not in own and "L_{out}" not in own, own
        assert r"\mathrm{" in own
    assert sympy.latex(sy.DIM_SYMBOLS[1][sy.length]) == r"L_{\mathrm{in},1}"
    assert str(sy.kernel_size) == "kernel_size"  # text and code keep the keyword names


def test_exact_quotient_refuses_a_non_divisor():
    assert ExactQuotient(12, 4) == 3
    with pytest.raises(ValueError, match=r"ExactQuotient\(5, 2\): 2 does not divide 5"):
        ExactQuotient(5, 2)
    with pytest.raises(ValueError, match="does not divide"):
        symbolic.ops("macs").subs({sy.in_channels: 5, sy.groups: 2})


def test_to_c_leaves_no_build_directory(tmp_path, monkeypatch):
    import tempfile

    require("cc")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    f = symbolic.to_c(symbolic.output_length())
    assert f(3, 2, 1, 0, 0, 1) == 4
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("export", ["python_source", "c_source", "to_python", "to_numpy", "to_c"])
def test_exports_take_only_sympy_expressions(export, tmp_path):
    # a string would be sympified (eval) or pasted into generated code: refused before anything runs
    marker = tmp_path / "ran"
    with pytest.raises(TypeError, match="expr must be a SymPy expression, got str"):
        getattr(symbolic, export)(f"__import__('pathlib').Path({str(marker)!r}).touch()", args=[])
    assert not marker.exists()
    with pytest.raises(ValueError, match="not a keyword: 'x'"):
        getattr(symbolic, export)(Symbol("x") + 1)
    with pytest.raises(ValueError, match="args must hold keyword symbols"):
        getattr(symbolic, export)(symbolic.output_length(), args=["length); import os; (x"])


@pytest.mark.parametrize("name", ["1bad", "a-b", "class", "int", "x y", "", "é"])
def test_generated_functions_need_an_identifier(name):
    for export in (symbolic.python_source, symbolic.c_source):
        with pytest.raises(ValueError, match="must be an identifier of Python and C"):
            export(symbolic.output_length(), name)


@pytest.mark.parametrize("document", [
    {"op": "Pow", "args": [{"int": "10"}, {"int": "1000000000000"}]},
    {"op": "Pow", "args": [{"op": "Pow", "args": [{"int": "9" * 100}, {"int": "64"}]}, {"int": "64"}]},
    {"int": "1" * 5000},
    {"int": "1e5"},
    {"rational": ["1", "0"]},
    {"op": "Add", "args": {"x": 1}},
    {"op": "LatticeCount", "args": [{"int": "1"}]},
])
def test_from_json_refuses_unbounded_or_malformed_work(document):
    import json

    with pytest.raises(ValueError):
        symbolic.from_json(json.dumps({"format": "tapcount-expr", "version": 1, "expr": document}))
    nested = '{"format": "tapcount-expr", "version": 1, "expr": ' + '{"op": "Add", "args": [' * 300 + '{"int": "1"}' \
        + "]}" * 300 + "}"
    with pytest.raises(ValueError, match="too large"):
        symbolic.from_json(nested)


def test_evaluate_refuses_what_torch_refuses():
    with pytest.raises(ValueError, match=r"output length \(-9\) must be at least 1"):
        symbolic.evaluate(symbolic.additions_per_filter(), length=1, kernel_size=1, padding=5)
    with pytest.raises(ValueError, match=r"output_padding \(2\) must be smaller than stride \(2\) or dilation \(1\)"):
        symbolic.evaluate(symbolic.output_length(), length=3, kernel_size=2, stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"in_channels \(3\) must be divisible by groups \(2\)"):
        symbolic.evaluate(symbolic.ops("macs"), length=3, kernel_size=2, in_channels=3, out_channels=4, groups=2)
    with pytest.raises(ValueError, match=r"stride \(0\) must be positive"):
        symbolic.evaluate(symbolic.output_length(), length=3, kernel_size=2, stride=0)
    with pytest.raises(ValueError, match=r"output length \(-1\) in dimension 1 must be at least 1"):
        symbolic.evaluate(symbolic.output_length(dims=2), length_0=2, kernel_size_0=1, stride_0=1, padding_0=0,
                          output_padding_0=0, dilation_0=1, length_1=1, kernel_size_1=1, stride_1=1, padding_1=1,
                          output_padding_1=0, dilation_1=1)


def test_exported_functions_refuse_what_torch_refuses():
    expr = symbolic.additions_per_filter()
    config = dict(length=1, kernel_size=1, stride=1, padding=5, output_padding=0, dilation=1)
    with pytest.raises(ValueError, match=r"output length \(-9\) must be at least 1"):
        symbolic.to_python(expr)(**config)
    namespace = {}
    exec(compile(symbolic.python_source(expr, "a"), "<generated>", "exec"), namespace)
    with pytest.raises(ValueError, match=r"output length \(-9\) must be at least 1"):
        namespace["a"](**config)
    vectorised = symbolic.to_numpy(expr)
    first = dict(length=2, kernel_size=3, stride=2, padding=1, output_padding=1, dilation=1)
    columns = {k: np.array([first[k], v]) for k, v in config.items()}
    with pytest.raises(ValueError, match=r"row \(1,\): output length \(-9\) must be at least 1"):
        vectorised(**columns)
    assert vectorised(**{k: v[:1] for k, v in columns.items()}).tolist() == [analytic.additions_per_filter(**first)]


@pytest.fixture(scope="module")
def wide_exports():
    """moduleprofiler's total and the exact additions per filter as NumPy and C functions."""
    out = {}
    for key, expr in (("ops", symbolic.ops("moduleprofiler")), ("exact", symbolic.exact_additions_per_filter())):
        args = symbolic.export.arguments(expr)
        c = symbolic.to_c(expr, args) if shutil.which("cc") else None
        out[key] = (args, symbolic.to_numpy(expr, args), c)
    return out


# magnitudes spread from 1 to 2**62, so that results both fit and do not
big = st.integers(0, 62).flatmap(lambda e: st.integers(1, 2**e))


@examples(300)
@given(data=st.data())
def test_numpy_and_c_exports_are_exact_or_raise_overflow(wide_exports, data):
    # every int64 result is exact (equal to the layer's Python ints) or the call raises OverflowError
    key = data.draw(st.sampled_from(sorted(wide_exports)))
    args, vectorised, compiled = wide_exports[key]
    groups = data.draw(st.integers(1, 2**20))
    values = {"in_channels": groups * data.draw(big), "out_channels": groups * data.draw(big), "groups": groups,
              "batch": data.draw(big), "length": data.draw(big), "kernel_size": data.draw(st.integers(1, 2**40)),
              "stride": data.draw(st.integers(1, 2**20)), "padding": 0, "output_padding": 0,
              "dilation": data.draw(st.integers(1, 2**20))}
    values = {a.name: values[a.name] for a in args}
    if key == "ops":
        layer = analytic.ConvTranspose1d(values["in_channels"], values["out_channels"], values["kernel_size"],
                                         stride=values["stride"], groups=groups, dilation=values["dilation"])
        exact = layer.ops((values["batch"], values["in_channels"], values["length"]), "moduleprofiler")
    else:
        exact = analytic.exact_additions_per_filter(values["length"], values["kernel_size"], values["stride"],
                                                    dilation=values["dilation"])
    fits = -(2**63) <= exact < 2**63
    for function in filter(None, (compiled, lambda **v: vectorised(**v).item())):
        try:
            result = function(**values) if function is not compiled else function(*values.values())
        except OverflowError:
            event("refused")
            continue  # refused: allowed whether or not the result fits (an intermediate may not)
        event("exact")
        assert fits and result == exact, (function, values)


def test_exports_refuse_overflow_on_a_known_case(wide_exports):
    # 2**40 * 2**40 channels: psi alone is 2**80
    args, vectorised, compiled = wide_exports["ops"]
    values = dict(batch=1, in_channels=2**40, out_channels=2**40, groups=1, kernel_size=3, stride=1, padding=0,
                  output_padding=0, dilation=1, length=5)
    values = {a.name: values[a.name] for a in args}
    with pytest.raises(OverflowError):
        vectorised(**values)
    if compiled is not None:
        with pytest.raises(OverflowError, match="does not fit in int64"):
            compiled(**values)
        with pytest.raises(OverflowError, match=r"length \(18446744073709551616\) does not fit in int64"):
            compiled(**(values | {"length": 2**64}))
