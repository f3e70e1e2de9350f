"""schemathesis against both OpenAPI contracts, with the contracts' HMAC signing: the reference core
server (core_banking/http/core_api.openapi.yaml, on the built-in ledger with the demo data) and the
service's alerts ingestion API (features/alerts/ingest_api.openapi.yaml). Any 5xx, or an answer whose
status, content type or body the contract does not allow, fails the run. Fixed example budgets."""

import time
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from {{ cookiecutter.bank_slug }}.core_banking.http.server import create_core_server
from {{ cookiecutter.bank_slug }}.core_banking.http.wire import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from {{ cookiecutter.bank_slug }}.core_banking.ledger.core import LedgerCore
from {{ cookiecutter.bank_slug }}.extensions import db

from .core_banking.contract.loopback import serving
from .ledger_helpers import seed

pytestmark = pytest.mark.heavy

PACKAGE = Path(__file__).resolve().parent.parent / "{{ cookiecutter.bank_slug }}"
CORE_SCHEMA = schemathesis.openapi.from_path(PACKAGE / "core_banking/http/core_api.openapi.yaml")
INGEST_SCHEMA = schemathesis.openapi.from_path(PACKAGE / "features/alerts/ingest_api.openapi.yaml")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
BUDGET = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))


class Signer(requests.auth.AuthBase):
    """The contracts' signature over what is actually sent: timestamp, method, path with query, body."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __call__(self, prepared):
        body = prepared.body or b""
        body = body.encode() if isinstance(body, str) else body
        stamp = str(int(time.time()))
        prepared.headers[TIMESTAMP_HEADER] = stamp
        prepared.headers[SIGNATURE_HEADER] = sign(self.secret, stamp, prepared.method, prepared.path_url, body)
        return prepared


def session_for(secret: str) -> requests.Session:
    session = requests.Session()
    session.auth = Signer(secret)
    return session


@pytest.fixture(scope="module")
def core_api(tmp_path_factory):
    from {{ cookiecutter.bank_slug }} import create_app

    from .conftest import make_config

    database = tmp_path_factory.mktemp("core") / "core.db"
    app = create_app(make_config(f"sqlite:///{database}"))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    seed(app)
    secret = "schemathesis-core-secret-0123456789"
    with app.app_context():
        server = create_core_server(LedgerCore(db.engine), secret)
    with serving(server) as base_url:
        yield base_url, session_for(secret)
    app.extensions["wechat_processor"].executor.shutdown(wait=True)


@pytest.fixture(scope="module")
def ingest_api(tmp_path_factory):
    from {{ cookiecutter.bank_slug }} import create_app

    from .conftest import make_config

    database = tmp_path_factory.mktemp("ingest") / "ingest.db"
    secret = "schemathesis-ingest-secret-0123456789"
    app = create_app(make_config(f"sqlite:///{database}", CORE_API_SECRET=secret))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    seed(app)
    with serving(app) as base_url:
        yield base_url, session_for(secret)
    app.extensions["wechat_processor"].executor.shutdown(wait=True)


@CORE_SCHEMA.parametrize()
@BUDGET
def test_the_reference_core_server_keeps_its_contract(case, core_api):
    base_url, session = core_api
    case.call_and_validate(base_url=base_url, session=session, checks=CHECKS)


@INGEST_SCHEMA.parametrize()
@BUDGET
def test_the_alerts_ingestion_api_keeps_its_contract(case, ingest_api):
    base_url, session = ingest_api
    case.call_and_validate(base_url=base_url, session=session, checks=CHECKS)
