"""empirical measures real modules without changing them."""

import pytest
import torch

import analytic
import empirical


def _snapshot(module):
    return {
        name: (p.detach().clone(), p.requires_grad, p.dtype, p.device, p.grad)
        for name, p in module.named_parameters()
    }


@pytest.mark.parametrize("shape", [(2, 6, 9), (6, 9)])
@pytest.mark.parametrize("bias", [True, False])
def test_measuring_leaves_the_module_untouched(shape, bias):
    torch.manual_seed(0)
    module = torch.nn.ConvTranspose1d(6, 4, 5, stride=3, padding=2, output_padding=1, groups=2, bias=bias)
    module.weight.requires_grad_(False)
    module.train()
    before = _snapshot(module)
    for convention in analytic.CONVENTIONS:
        empirical.ops(module, shape, convention)
    after = _snapshot(module)
    assert before.keys() == after.keys()
    for name, (value, grad_flag, dtype, device, grad) in before.items():
        value2, grad_flag2, dtype2, device2, grad2 = after[name]
        assert torch.equal(value, value2), name
        assert (grad_flag, dtype, device, grad) == (grad_flag2, dtype2, device2, grad2), name
    assert module.training
    assert module.weight.requires_grad is False
    if bias:
        assert module.bias.requires_grad is True


def test_a_module_on_the_meta_device_is_measured_and_stays_there():
    module = torch.nn.ConvTranspose1d(4, 2, 3, stride=2, device="meta")
    layer = analytic.ConvTranspose1d.from_module(module)
    assert empirical.ops(module, (1, 4, 7), "exact") == layer.ops((1, 4, 7), "exact")
    assert module.weight.device.type == "meta"


def test_unbatched_input_counts_one_sample():
    module = torch.nn.ConvTranspose1d(3, 3, 4, stride=2)
    assert empirical.ops(module, (3, 10)) == empirical.ops(module, (1, 3, 10))
    assert empirical.ops(module, (2, 3, 10)) == 2 * empirical.ops(module, (3, 10))


def test_all_ones_counts_are_exact_ints():
    value = empirical.additions_per_filter(200, 16, stride=1, padding=3)
    assert type(value) is int
    assert type(empirical.exact_additions_per_filter(2, 3)) is int


@pytest.mark.parametrize("args", [(2, 3), (1, 2, 1, 0, 0, 3), (7, 4, 3, 2, 1, 2), (5, 16, 8, 4)])
def test_measure_filter_reads_the_three_counts_off_one_run(args):
    measured = empirical.measure_filter(*args)
    assert measured == {"output_length": int(empirical.all_ones_output(*args).shape[-1]),
                        "additions_per_filter": empirical.additions_per_filter(*args),
                        "exact_additions_per_filter": empirical.exact_additions_per_filter(*args)}
    assert all(type(v) is int for v in measured.values())


def test_peer_tool_numbers_of_the_api_contract():
    # Measured on fvcore, torch's flop counter, ptflops, thop and torchinfo for the
    # HiFi-GAN upsampler 512 -> 256, k 16, s 8, p 4, L_in 100.
    module = torch.nn.ConvTranspose1d(512, 256, 16, stride=8, padding=4)
    shape = (1, 512, 100)
    measured = {c: empirical.ops(module, shape, c) for c in analytic.CONVENTIONS}
    assert measured["macs"] == 209_715_200
    assert measured["flops"] == 419_430_400
    assert measured["ptflops"] == 209_920_000
    assert measured["thop"] == 1_677_721_600
    assert measured["torchinfo"] == 1_677_926_400
    assert empirical.measure(module, shape)["exact_multiplications"] == 208_666_624
    layer = analytic.ConvTranspose1d.from_module(module)
    assert {c: layer.ops(shape, c) for c in analytic.CONVENTIONS} == measured


def test_weight_normalised_modules_are_measured_without_change():
    module = torch.nn.utils.parametrizations.weight_norm(torch.nn.ConvTranspose1d(6, 4, 5, stride=3, padding=1))
    weight = module.weight.detach().clone()
    layer = analytic.ConvTranspose1d.from_module(module)
    for convention in analytic.CONVENTIONS:
        assert empirical.ops(module, (2, 6, 7), convention) == layer.ops((2, 6, 7), convention)
    assert torch.equal(module.weight, weight)
    assert module.parametrizations.weight.original0.dtype == torch.float32
