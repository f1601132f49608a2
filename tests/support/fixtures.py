"""Pytest fixtures for the Slack test support; conftest does ``from tests.support.fixtures import *``."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.support.fake_slack import FakeSlack

__all__ = ["fake_slack"]


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A started :class:`FakeSlack` (``fake_slack.api_url`` for ``WebClient(base_url=...)``)."""
    fake = FakeSlack()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
