"""Template-level fixtures: pytest-cookies always bakes this repository's template."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pytest_configure(config):
    config.option.template = str(ROOT)


@pytest.fixture(scope="session")
def postgres_url():
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
