"""The integer core: plain Python, no SymPy, no torch (NumPy only for the array twins, on demand).

- :mod:`.lattice` — the lattice count ``G`` and the floor-sum algorithm, the one hard kernel;
- :mod:`.geometry` — output sizes of convolutions in both directions;
- :mod:`.arithmetic` — the integer arithmetic a formula evaluates in (``G`` and ``x^+``);
- :mod:`.validation` — torch's rules, and the coercion of values to ints, one message style;
- :mod:`.filters`, :mod:`.transposed`, :mod:`.forward`, :mod:`.matmul` — per-filter and per-module
  counts of transposed and forward convolutions and of matrix products, every convention;
- :mod:`.conventions` — the one table of conventions;
- :mod:`.vectorized` — NumPy twins of the lattice count and checked int64 arithmetic;
- :mod:`.tables` — text, Markdown and LaTeX tables of counts.

Every module here imports only from this package.
"""
