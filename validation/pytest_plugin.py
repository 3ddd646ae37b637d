"""pytest plugin (loaded by the root conftest.py, or `-p validation.pytest_plugin`): the `requirement`
marker. Each id a test names must be in the catalogue (an unknown id stops the run at collection),
and is written into the JUnit XML as a `<property name="requirement" value="...">` of the test
case, which `manage.py validation_report` reads.

    @pytest.mark.requirement("21CFR11.10(e)", "ANNEX11.9")
    def test_...
"""

import pytest

from validation.catalogue import known_ids


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "requirement(*ids): the requirements the test proves (ids from validation/requirements.toml)",
    )


def requirements_of(item) -> list[str]:
    ids: list[str] = []
    for marker in item.iter_markers("requirement"):
        ids.extend(str(arg) for arg in marker.args)
    return list(dict.fromkeys(ids))


def pytest_collection_modifyitems(session, config, items):
    known = known_ids()
    unknown = []
    for item in items:
        for requirement in requirements_of(item):
            if requirement not in known:
                unknown.append(f"{item.nodeid}: {requirement!r}")
            item.user_properties.append(("requirement", requirement))
    if unknown:
        raise pytest.UsageError("Requirement ids not in the catalogue (validation/requirements.toml):\n  " + "\n  ".join(unknown))
