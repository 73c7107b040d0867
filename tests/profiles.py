"""Per-property example counts that follow the chosen Hypothesis profile (see tests/conftest.py)."""

from hypothesis import settings


def examples(count: int, **options) -> settings:
    """``settings`` asking for ``count`` examples, or the profile's count if that is smaller
    (so ``HYPOTHESIS_PROFILE=dev`` stays quick for the slow properties too)."""
    return settings(max_examples=min(count, settings.default.max_examples), **options)
