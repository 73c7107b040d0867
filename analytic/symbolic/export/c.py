"""C99 functions of expressions: checked int64 arithmetic, compiled with the system compiler.

The helpers the printed code calls (checked sums and products, integer division, the lattice
count) are C99 in ``tapcount.h``, shipped with the package and pasted into every source.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

import sympy
from sympy import Expr, Symbol
from sympy.printing.c import C99CodePrinter

from ...core.validation import check_keywords
from .checked import CheckedArithmetic
from .common import check_arguments, exportable, fitting, identifier, keyword_signature
from .python import exact_function

__all__ = ["C_HELPERS", "c_source", "to_c"]

#: C99 ports of the helpers the C printer names (``tapcount.h``); an overflow anywhere sets
#: ``tapcount_overflow``
C_HELPERS = resources.files(__package__).joinpath("tapcount.h").read_text(encoding="utf-8")


class CheckedCPrinter(CheckedArithmetic, C99CodePrinter):
    """C99 printer in checked int64 arithmetic (no ``pow``, which is a double)."""


def c_source(expr: Expr, name: str = "count", args: Sequence[Symbol] | None = None, *,
             conditions: Sequence[sympy.Basic] | None = None) -> str:
    """C99 source defining ``int64_t name(int64_t ...)`` for ``expr``, helpers included.

    The arithmetic is checked: when a sum or product leaves int64 the function returns 0 and
    sets the global ``int name_overflow`` to 1 (0 after an exact result); read it after the call.
    With ``conditions`` (a symbolic profile's, on its sizes) the function returns 0 and sets
    ``int name_invalid`` to 1 for arguments that break one.
    """
    name = identifier(name)
    args = check_arguments(expr, args, sizes=conditions is not None)
    for a in args:  # the globals the function sets
        if a.name in (f"{name}_overflow", f"{name}_invalid"):
            raise ValueError(f"name ({a.name!r}) is reserved in the exported code: the C function {name}() sets a"
                             f" global so named; rename the size or the function")
    printer = CheckedCPrinter()
    body = printer.doprint(expr)
    params = ", ".join(f"int64_t {a.name}" for a in args) or "void"
    checks = ""
    if conditions is not None:
        allowed = {a.name: a for a in args}
        tests = " && ".join(f"({printer.doprint(exportable(c, allowed, relations=True))})" for c in conditions)
        checks = (f"    {name}_invalid = !({tests or 1});\n    if ({name}_invalid) return 0;\n")
    declared = f"int {name}_overflow;\n" + (f"int {name}_invalid;\n" if conditions is not None else "")
    return (f"{C_HELPERS}\n{declared}\nint64_t {name}({params}) {{\n{checks}"
            f"    tapcount_overflow = 0;\n    int64_t tapcount_result = {body};\n"
            f"    {name}_overflow = tapcount_overflow;\n    return tapcount_overflow ? 0 : tapcount_result;\n}}\n")


def to_c(expr: Expr, args: Sequence[Symbol] | None = None, compiler: str = "cc", *,
         check: Callable[[dict[str, int]], dict[str, int]] | None = None,
         conditions: Sequence[sympy.Basic] | None = None) -> Callable[..., int]:
    """Compile :func:`c_source` with the system C compiler and return it as a Python callable
    (positional arguments in the order of ``args``): torch's rules on the arguments
    (``ValueError``), ``OverflowError`` for an argument or a result beyond int64, never a wrapped
    value.  Where a step of the int64 arithmetic overflows but the count fits, the count is
    computed in Python's integers instead: an ``OverflowError`` only for a count beyond int64."""
    args = check_arguments(expr, args, sizes=check is not None)
    check = check or check_keywords
    cc = shutil.which(compiler)
    if cc is None:
        raise RuntimeError(f"no C compiler {compiler!r} on PATH")
    source = c_source(expr, "count", args, conditions=conditions)
    with tempfile.TemporaryDirectory(prefix="tapcount-c-") as directory:
        build = Path(directory)
        (build / "count.c").write_text(source)
        result = subprocess.run(
            [cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-o",
             str(build / "count.so"), str(build / "count.c")],
            capture_output=True, text=True,
        )
        if result.returncode:
            raise RuntimeError(f"{compiler} failed on the generated source:\n{result.stderr}")
        library = ctypes.CDLL(str(build / "count.so"))  # loaded: the file may go
    function = library.count
    function.restype = ctypes.c_int64
    function.argtypes = [ctypes.c_int64] * len(args)
    overflow = ctypes.c_int.in_dll(library, "count_overflow")
    signature = keyword_signature(args)
    exact = exact_function(expr, args)

    def count(*positional, **keywords):
        values = check(signature.bind(*positional, **keywords).arguments)  # torch's rules
        for name, value in values.items():
            if not -(2**63) <= value < 2**63:  # ctypes would wrap it silently
                raise OverflowError(f"{name} ({value}) does not fit in int64")
        result = function(*values.values())
        if overflow.value:  # a step left int64: the count itself may still fit
            return fitting(exact(*values.values()))
        return result

    count.__signature__ = signature
    count.library = library  # keeps the compiled code loaded as long as the function lives
    return count
