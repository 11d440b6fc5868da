"""Fixtures of the Matrix adapter tests: one real Synapse per session, and a bot account per test."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
from synapse_server import Synapse, SynapseUnavailable

_accounts = itertools.count(1)


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    try:
        server = Synapse.start(tmp_path_factory.mktemp("synapse"))
    except SynapseUnavailable as error:
        if os.environ.get("CI"):
            pytest.fail(f"Synapse could not be installed or started; CI must run the Matrix tests: {error}")
        pytest.skip(
            f"Synapse could not be installed or started here (it is required, and never skipped, in CI): {error}"
        )
    yield server
    server.stop()


@pytest.fixture
def names() -> dict[str, str]:
    """Localparts unique to this test, so tests on the one server never see each other's rooms."""
    n = next(_accounts)
    return {who: f"{who}{n}" for who in ("bot", "sujin", "minji", "junho", "seoyeon", "dohyun")}
