"""``python -m analytic.documents [OUT_DIR]``: regenerate the derivation documents (default ``derivations``)."""

import sys

from .derivation import write

for path in write(sys.argv[1] if len(sys.argv) > 1 else "derivations"):
    print(path)
