"""Shared fixtures: real databases (SQLite file, PostgreSQL when CARNET_TEST_POSTGRES_URL is set),
a fake Slack Web API on 127.0.0.1, and Carnet itself served by uvicorn on a local port.

They are all defined in ``tests/support/fixtures.py``; this file only exposes them to every test.
The run's logs are checked for secrets at the end (``tests/support/log_check.py``).
"""

from tests.support.fixtures import *  # noqa: F401,F403
from tests.support.log_check import pytest_configure, pytest_sessionfinish  # noqa: F401,E402
