"""A model's modules as a profile names them: their qualified names, their types, their parameters.

The profile reads a model's modules several times (to copy it, to find TorchScript in it, to sum
each module's parameters): once, as the list :func:`named_modules`.

>>> import torch
>>> model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sequential(torch.nn.ReLU()))
>>> [name for name, _ in named_modules(model)]
['', '0', '1', '1.0']
>>> module_parameters(named_modules(model))["0"]  # 3 x 2 weights and 2 biases
('Linear', 8, 0)
"""

from __future__ import annotations

import torch
from torch.nn.parameter import is_lazy

__all__ = ["copied_modules", "internal_modules", "lazy_modules", "module_kind", "module_parameters", "named_modules",
           "parametrized"]

_MODULE_DICT = torch.nn.ModuleDict


def named_modules(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    """``list(model.named_modules())``: each module once, at its first qualified name, the model
    first, then each submodule's modules depth first."""
    return list(model.named_modules())


def copied_modules(modules, memo: dict, copied: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    """The :func:`named_modules` of ``copied``, a deep copy of the model of ``modules`` made with
    ``memo`` (original's ``id`` -> its copy), read from the memo; walked anew where the memo lacks
    one (a class whose own copying bypasses it)."""
    found = [(name, memo.get(id(module))) for name, module in modules]
    return found if all(module is not None for _, module in found) else named_modules(copied)


def parametrized(module: torch.nn.Module) -> bool:
    """``torch.nn.utils.parametrize.is_parametrized(module)``: whether a parametrization (weight_norm's)
    computes one of its tensors, read from its registered submodules."""
    registered = module._modules  # a dict; TorchScript's own mapping for a scripted module
    return "parametrizations" in registered and isinstance(registered["parametrizations"], _MODULE_DICT)


def lazy_modules(modules) -> list[str]:
    """The names of ``modules`` (a model's :func:`named_modules`) holding a tensor not made yet:
    a lazy module's (``nn.LazyLinear``) before its first forward."""
    return [name for name, module in modules
            if any(map(is_lazy, (*module._parameters.values(), *module._buffers.values())))]


def internal_modules(modules) -> set[int]:
    """Of ``modules`` (a model's :func:`named_modules`), those that compute a parametrized weight
    (weight_norm's): they belong to their layer."""
    return {id(m) for _, owner in modules if parametrized(owner) for m in owner.parametrizations.modules()}


def module_kind(module: torch.nn.Module) -> str:
    """A module's class name; weight_norm's dynamic subclass (``ParametrizedConv1d``) is named by
    the layer's own class."""
    kind = type(module).__bases__[0] if parametrized(module) else type(module)
    return kind.__name__


def module_parameters(modules) -> dict[str, tuple[str, int, int]]:
    """Each module's own parameters (not its submodules'), of a model's :func:`named_modules`:
    ``name -> (type, trainable, frozen)``, a parameter shared by several modules counted at its
    first one."""
    internal = internal_modules(modules)
    seen: set[int] = set()
    result: dict[str, tuple[str, int, int]] = {}
    for name, module in modules:
        if id(module) in internal:  # weight_norm's parts: their parameters are the layer's
            continue
        own = [p for p in module._parameters.values() if p is not None]
        if parametrized(module):
            own += list(module.parametrizations.parameters())
        trainable = frozen = 0
        for p in own:
            if id(p) in seen:
                continue
            seen.add(id(p))
            if p.requires_grad:
                trainable += p.numel()
            else:
                frozen += p.numel()
        result[name] = (module_kind(module), trainable, frozen)
    return result
