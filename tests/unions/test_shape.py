"""The unions service keeps the one shape (`newform_common.shape`): every query in a repository,
clocks through the kit, modules and functions a reader can hold, no import circle."""

from __future__ import annotations

from newform_common import shape


def test_the_package_keeps_the_one_shape():
    assert [str(b) for b in shape.all_breaches("newform_unions")] == []
