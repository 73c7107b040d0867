"""ConvTranspose2d and ConvTranspose3d: the per-dimension counts combine by product, proven on torch."""

import re
import warnings

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import analytic
import empirical
from tests.profiles import examples
from tests.strategies import nd_filter_configs, nd_module_configs

CLASSES = {2: analytic.ConvTranspose2d, 3: analytic.ConvTranspose3d}
TORCH = {2: torch.nn.ConvTranspose2d, 3: torch.nn.ConvTranspose3d}


@pytest.mark.parametrize("dims", [2, 3])
@examples(300)
@given(data=st.data())
def test_filter_counts_match_the_nd_all_ones_output(dims, data):
    config = data.draw(nd_filter_configs(dims))
    geometry = {k: v for k, v in config.items() if k != "length"}
    y = empirical.all_ones_output_nd(config["length"], **geometry)
    layer = CLASSES[dims](1, 1, **geometry, bias=False)
    counts = layer.breakdown((1, 1, *config["length"]))
    assert counts["output_length"] == y.numel()
    assert counts["taps_kept"] == int(y.sum())
    assert counts["covered_positions"] == int((y > 0).sum())
    assert counts["additions_per_filter"] == int((y - 1).sum())
    assert counts["exact_additions_per_filter"] == int((y - 1).clamp(min=0).sum())


@pytest.mark.slow
@pytest.mark.parametrize("dims", [2, 3])
@examples(300)
@given(data=st.data())
def test_module_totals_match_a_real_nd_module(dims, data):
    layer_kw, shape = data.draw(nd_module_configs(dims))
    module = TORCH[dims](**layer_kw)
    spec = CLASSES[dims](**layer_kw)
    assert CLASSES[dims].from_module(module) == spec
    assert spec.breakdown(shape) == empirical.measure(module, shape)
    assert spec.output_shape(shape) == tuple(module(torch.randn(shape)).shape)


def test_moduleprofiler_model_in_2d_uses_products():
    # the moduleprofiler model with prod(L_out) and prod(k): psi*lambda + gamma
    layer = analytic.ConvTranspose2d(2, 3, (3, 2), stride=(2, 1), bias=True)
    b = layer.breakdown((1, 2, 4, 5))
    out = (4 - 1) * 2 + 3 * 1 - 0  # 9 rows... (L-1)s + k
    cols = (5 - 1) * 1 + 2
    assert b["output_length"] == out * cols
    assert b["lambda"] == out * cols * 6 + b["additions_per_filter"]
    assert b["moduleprofiler"] == 2 * 3 * b["lambda"] + 3 * out * cols * (2 - 1 + 1)


small = st.integers(-1, 4)


@examples(400)
@given(k=st.tuples(small, small), s=st.tuples(small, small), p=st.tuples(small, small),
       o=st.tuples(small, small), d=st.tuples(small, small), n=st.tuples(small, small))
@example(k=(3, 3), s=(2, 1), p=(0, 0), o=(1, 0), d=(1, 1), n=(2, 2))
@example(k=(3, 3), s=(1, 2), p=(0, 0), o=(0, 2), d=(1, 1), n=(2, 2))  # o >= max(s, d) in dim 1
@example(k=(1, 1), s=(1, 1), p=(0, 1), o=(0, 0), d=(1, 1), n=(4, 1))  # output length -1 in dim 1
def test_2d_validity_agrees_with_torch(k, s, p, o, d, n):
    def torch_accepts():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = torch.nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=o, dilation=d)
                m(torch.ones((1, 1, *n)))
        except (RuntimeError, ValueError, IndexError):
            return False
        return True

    def analytic_accepts():
        try:
            analytic.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=o, dilation=d).ops((1, 1, *n))
        except ValueError as error:
            # every error names its dimension: stride[1], input_shape[3] or "in dimension 1"
            assert re.search(r"\[\d\]|in dimension \d", str(error)), str(error)
            return False
        return True

    assert analytic_accepts() == torch_accepts()


def test_nd_errors_name_the_dimension():
    with pytest.raises(ValueError, match=r"stride\[1\] \(0\) must be positive"):
        analytic.ConvTranspose2d(1, 1, 3, stride=(1, 0))
    with pytest.raises(ValueError, match=r"output_padding\[0\] \(2\) must be smaller than stride\[0\] \(2\)"):
        analytic.ConvTranspose3d(1, 1, 3, stride=2, output_padding=(2, 0, 0))
    with pytest.raises(ValueError, match=r"kernel_size must be an int or a 2-tuple for a 2-d layer"):
        analytic.ConvTranspose2d(1, 1, (3, 3, 3))
    with pytest.raises(ValueError, match=r"output length \(-1\) in dimension 1 must be at least 1"):
        analytic.ConvTranspose2d(1, 1, 1, padding=(0, 1)).ops((1, 1, 4, 1))
    with pytest.raises(ValueError, match=r"spatial size \(input_shape\[3\]\) \(0\) must be positive"):
        analytic.ConvTranspose2d(1, 1, 3).ops((1, 1, 4, 0))
    with pytest.raises(TypeError, match=r"module must be a torch\.nn\.ConvTranspose2d, got ConvTranspose1d"):
        analytic.ConvTranspose2d.from_module(torch.nn.ConvTranspose1d(1, 1, 3))


@pytest.mark.parametrize("dims", [2, 3])
@examples(150)
@given(data=st.data())
def test_symbolic_nd_expressions_equal_the_layer(dims, data):
    from analytic import symbolic

    layer_kw, shape = data.draw(nd_module_configs(dims))
    spec = CLASSES[dims](**layer_kw)
    values = {"in_channels": layer_kw["in_channels"], "out_channels": layer_kw["out_channels"],
              "groups": layer_kw["groups"], "batch": shape[0] if len(shape) == dims + 2 else 1}
    for key in ("kernel_size", "stride", "padding", "output_padding", "dilation"):
        values |= {f"{key}_{i}": v for i, v in enumerate(getattr(spec, key))}
    values |= {f"length_{i}": v for i, v in enumerate(shape[-dims:])}
    breakdown = spec.breakdown(shape)
    for convention in analytic.CONVENTIONS:
        expr = symbolic.ops(convention, bias=layer_kw["bias"], dims=dims)
        assert symbolic.evaluate(expr, **values) == breakdown[convention], convention
    filter_values = {k: v for k, v in values.items() if "_" in k and k[-1].isdigit()}
    for key in ("output_length", "taps_kept", "covered_positions", "additions_per_filter",
                "exact_additions_per_filter"):
        assert symbolic.evaluate(symbolic.filter_quantity(key, dims), **filter_values) == breakdown[key], key


def test_symbolic_dims_and_quantity_errors():
    from analytic import symbolic

    with pytest.raises(ValueError, match=r"dims \(4\) must be 1, 2 or 3"):
        symbolic.ops("exact", dims=4)
    with pytest.raises(ValueError, match=r"quantity \('psi'\) must be one of output_length"):
        symbolic.filter_quantity("psi", 1)
