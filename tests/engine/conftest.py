"""Fixtures shared by the engine tests."""
import pytest


@pytest.fixture(params=["sync", "threads"])
def scheduler(request):
    """Run a test once per built-in executor."""
    return request.param
