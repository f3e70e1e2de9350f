"""The ingestion API's OpenAPI document (handed to the core's team) is valid and the server answers
in the shapes it promises."""

from pathlib import Path

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate

import {{ cookiecutter.bank_slug }}.features.alerts as alerts_package

from ...ledger_helpers import seed
from .support import item, push

SPEC = yaml.safe_load((Path(alerts_package.__file__).parent / "ingest_api.openapi.yaml").read_text("utf-8"))


def schema(name: str) -> dict:
    """A component schema with its $refs resolvable by jsonschema."""
    return {**SPEC["components"]["schemas"][name], "components": SPEC["components"]}


def test_the_document_is_valid_openapi():
    validate(SPEC)
    assert "/api/core/v1/transactions" in SPEC["paths"]


def test_answers_follow_the_document(app, client):
    accounts = seed(app)
    request = {"transactions": [item("S1", accounts[0].account_id), item("S1", accounts[0].account_id),
                                item("S2", "A9999999")]}
    for transaction in request["transactions"]:
        jsonschema.validate(transaction, schema("Transaction"))
    answer = push(client, app, request)
    jsonschema.validate(answer.get_json(), schema("BatchResult"))
    refused = push(client, app, b"{broken")
    error_schema = SPEC["components"]["responses"]["Error"]["content"]["application/json"]["schema"]
    jsonschema.validate(refused.get_json(), error_schema)


@pytest.mark.parametrize("kind", SPEC["components"]["schemas"]["Transaction"]["properties"]["kind"]["enum"])
def test_every_documented_kind_is_accepted(app, client, kind):
    accounts = seed(app)
    assert push(client, app, {"transactions": [item(f"K-{kind}", accounts[0].account_id, kind=kind)]}
                ).get_json()["stored"] == 1
