"""Hypothesis settings profiles, chosen with ``HYPOTHESIS_PROFILE`` (default ``ci``):

- ``ci``: thorough and derandomized (the same examples on every run, so a failure reproduces);
- ``random``: fresh random examples on every run, fewer of them (CI runs it as a second pass);
- ``dev``: quick, random.

Slow properties ask for fewer examples with :func:`tests.profiles.examples`, which never exceeds
the profile's own count.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("random", max_examples=100, deadline=None, derandomize=False, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
