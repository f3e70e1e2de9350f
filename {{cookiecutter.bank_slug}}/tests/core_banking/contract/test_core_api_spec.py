"""The OpenAPI document the bank's core team implements (banking/core_api.openapi.yaml) is valid,
and agrees with the port, the adapter and the reference server: one operation per port method,
the same fields, error codes and statuses, and examples that match their schemas."""

import fnmatch
import inspect
import tomllib
from dataclasses import MISSING, fields
from datetime import date, datetime
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from {{ cookiecutter.bank_slug }}.core_banking.http.server import create_core_server
from {{ cookiecutter.bank_slug }}.core_banking.http.wire import (
    INVALID_REQUEST,
    OPERATIONS,
    SPEC_PATH,
    STATUS_BY_CODE,
    UNAUTHORIZED,
    sign,
)
from {{ cookiecutter.bank_slug }}.core_banking.port import (
    ERRORS_BY_CODE,
    Account,
    Balance,
    CoreBanking,
    CoreBankingError,
    CreditCard,
    CreditStatement,
    RepaymentRequest,
    RepaymentResult,
    Transaction,
    TransferRequest,
    TransferResult,
)

from .fake_core import FakeCore
from .openapi import (
    deref,
    load_spec,
    operations,
    schema_errors,
)

PROJECT = Path(__file__).resolve().parents[3]
PORT_TYPES = [Account, Balance, Transaction, TransferRequest, TransferResult, CreditCard, CreditStatement,
              RepaymentRequest, RepaymentResult]


def test_the_document_is_valid_openapi_3_1():
    spec = load_spec()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


@pytest.mark.parametrize(("method", "path", "body", "digest"), [
    ("GET", "/accounts/A0001/balance", b"", "3f3dd9a2eb59c4c4d4a89f2a41927c1a437454ca7e6a16e006cfc81f073a9c10"),
    ("POST", "/accounts/lookup", b'{"card_number":"6217000010012345678"}',
     "addfa1008609fd51dc3ce436d860a365bac20d1e4081dc7fffb3956a53c07ba6"),
])
def test_the_documents_signature_test_vectors_are_right(method, path, body, digest):
    assert sign("s3cret", "1714552200", method, path, body) == digest
    assert digest in load_spec()["info"]["description"]


def test_one_operation_per_port_method_and_the_adapter_uses_exactly_those():
    port_methods = {name for name, _ in inspect.getmembers(CoreBanking, inspect.isfunction)
                    if not name.startswith("_")}
    assert set(OPERATIONS) == port_methods
    assert set(operations()) == {(op.method, op.path) for op in OPERATIONS.values()}


def test_the_reference_server_serves_every_operation():
    app = create_core_server(FakeCore(), "secret")
    routes = {(method, rule.rule.replace("<", "{").replace(">", "}"))
              for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes - {("GET", "/static/{path:filename}"), ("GET", "/openapi.yaml")} == set(operations())


def test_every_operation_is_signed_and_has_examples():
    spec = load_spec()
    assert spec["security"] == [{"coreTimestamp": [], "coreSignature": []}]
    schemes = spec["components"]["securitySchemes"]
    assert {schemes[name]["name"] for name in ("coreTimestamp", "coreSignature")} == {
        "X-Core-Timestamp", "X-Core-Signature"}
    for (method, path), operation in operations().items():
        assert "security" not in operation, (method, path)  # nothing opts out
        if "requestBody" in operation:
            assert operation["requestBody"]["content"]["application/json"]["examples"], (method, path)
        for status, response in operation["responses"].items():
            assert deref(response)["content"]["application/json"]["examples"], (method, path, status)


def _examples():
    for (method, path), operation in operations().items():
        contents = [("request", operation["requestBody"])] if "requestBody" in operation else []
        contents += [(status, response) for status, response in operation["responses"].items()]
        for where, holder in contents:
            media = deref(holder)["content"]["application/json"]
            for name, example in media["examples"].items():
                case = f"{method} {path} {where} {name}"
                yield pytest.param(media["schema"], where, deref(example)["value"], id=case)


@pytest.mark.parametrize(("schema", "where", "value"), list(_examples()))
def test_every_example_matches_its_schema_and_status(schema, where, value):
    assert schema_errors(schema, value) == []
    if where != "request" and where.startswith(("4", "5")):
        assert STATUS_BY_CODE[value["code"]] == int(where), value["code"]


def test_error_codes_are_the_ports_and_the_contracts():
    enum = load_spec()["components"]["schemas"]["Error"]["properties"]["code"]["enum"]
    assert set(enum) == set(STATUS_BY_CODE)
    assert set(STATUS_BY_CODE) == set(ERRORS_BY_CODE) | {CoreBankingError.code, INVALID_REQUEST, UNAUTHORIZED}


@pytest.mark.parametrize("port_type", PORT_TYPES, ids=lambda t: t.__name__)
def test_schemas_have_the_ports_fields_money_in_fen_and_utc_times(port_type):
    schema = load_spec()["components"]["schemas"][port_type.__name__]
    assert set(schema["properties"]) == {f.name for f in fields(port_type)}
    assert set(schema["required"]) == {f.name for f in fields(port_type) if f.default is MISSING}
    for field in fields(port_type):
        spec_field = schema["properties"][field.name]
        if field.type is int and field.name.endswith("_fen"):  # money is always *_fen
            assert spec_field["$ref"] == "#/components/schemas/FenAmount", field.name
        elif field.type is int:  # a day of the month
            assert spec_field["type"] == "integer", field.name
        elif field.type is datetime:
            assert spec_field["$ref"] == "#/components/schemas/UtcTimestamp", field.name
        elif field.type is date:
            assert spec_field["$ref"] == "#/components/schemas/BankDate", field.name
        elif field.type == tuple[Transaction, ...]:
            assert spec_field["type"] == "array", field.name
            assert spec_field["items"]["$ref"] == "#/components/schemas/Transaction", field.name
        else:
            assert deref(spec_field)["type"] == {str: "string", bool: "boolean"}[field.type], field.name


def test_the_document_ships_inside_the_package():
    assert SPEC_PATH.parent.name == "http" and SPEC_PATH.parent.parent.name == "core_banking" and SPEC_PATH.is_file()
    pyproject = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["*"]
    assert any(fnmatch.fnmatch(SPEC_PATH.name, pattern) for pattern in patterns)
