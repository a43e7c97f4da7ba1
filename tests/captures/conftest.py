import pytest

from tests.captures.sources import loopback_allowed, source_files, web  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _loopback_allowed(loopback_allowed):  # noqa: F811
    """The suite's sources are on 127.0.0.1: only tests let captures reach loopback."""
