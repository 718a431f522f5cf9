"""Suite-wide test settings (infra). Layer-specific fixtures live in tests/<layer>/conftest.py."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# The suite runs on 2 shared cores under `python -X dev` (CI and six developers at once): input
# generation and examples can be slow for reasons that have nothing to do with the code under
# test, so no per-example deadline and no too_slow health check. In CI the examples are
# derandomized, so a run can be repeated exactly; locally they stay random to find new cases.
settings.register_profile(
    "crlf",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "crlf-ci",
    parent=settings.get_profile("crlf"),
    derandomize=True,
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("crlf-ci" if os.environ.get("CI") else "crlf")
)
