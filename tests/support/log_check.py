"""The whole test run's logs are checked for secrets (issue 16): every worker writes its log
records (Carnet's from INFO, every library's from WARNING, with tracebacks) to a file, and at the
end of the session the controlling process greps them all for the test secrets and for anything
shaped like a Slack token or webhook. A leak fails the run and prints the lines.

Cheap: one file handler per process, one pass over the files at the end.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

import pytest

LOG_DIR_ENV = "CARNET_TEST_LOG_DIR"
# The secrets the tests configure (tests/support/fixtures.py), and the shapes of real ones.
SHAPES = re.compile(r"xox[abeoprs]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|hooks\.slack\.com/services/")


def leaks_in(paths: Iterable[Path], secrets: Iterable[str]) -> list[str]:
    """Every line of ``paths`` holding one of ``secrets`` or a token shape, as ``file: line``."""
    secrets = [s for s in secrets if s]
    found: list[str] = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if SHAPES.search(line) or any(s in line for s in secrets):
                    found.append(f"{path.name}: {line.rstrip()[:300]}")
    return found


def _secrets() -> list[str]:
    from tests.support.fixtures import BOT_TOKEN, SIGNING_SECRET

    return [BOT_TOKEN, SIGNING_SECRET]


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controlling process (or the only one): it owns the folder
        folder = tempfile.mkdtemp(prefix="carnet-test-logs-")
        os.environ[LOG_DIR_ENV] = folder  # xdist's workers inherit it
        config.stash[_FOLDER] = folder
    folder = os.environ.get(LOG_DIR_ENV)
    if not folder:
        return
    name = getattr(config, "workerinput", {}).get("workerid", "main")
    handler = logging.FileHandler(Path(folder) / f"{name}.log", encoding="utf-8", delay=True)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    for ours in ("bot", "carnet"):  # Carnet's INFO lines too (slow profiles, due work, deliveries)
        if logging.getLogger(ours).level in (logging.NOTSET, logging.WARNING):
            logging.getLogger(ours).setLevel(logging.INFO)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    folder = session.config.stash.get(_FOLDER, None)
    if folder is None:
        return
    # The workers have finished (xdist waits for them); file handlers flush after every record.
    leaks = leaks_in(sorted(Path(folder).glob("*.log")), _secrets())
    if not leaks:
        shutil.rmtree(folder, ignore_errors=True)
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    title = f"secrets in the test run's logs ({folder})"
    if reporter is not None:
        reporter.write_sep("=", title, red=True)
        for line in leaks[:20]:
            reporter.write_line(line, red=True)
    else:
        print(title, *leaks[:20], sep="\n")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


_FOLDER = pytest.StashKey[str]()
