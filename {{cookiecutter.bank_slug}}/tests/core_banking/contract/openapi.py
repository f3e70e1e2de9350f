"""The core-banking OpenAPI document as data, for the tests: loading it, following $refs, and
checking JSON against its schemas (JSON Schema 2020-12, as OpenAPI 3.1 uses)."""

from functools import cache
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker

from {{ cookiecutter.bank_slug }}.core_banking.http.wire import SPEC_PATH


@cache
def load_spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def deref(node: Any) -> Any:
    """Follow a local $ref ("#/components/...") until a node without one."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = load_spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def schema_errors(schema: dict, instance: Any) -> list[str]:
    """Why `instance` does not match `schema` (refs resolve inside the document); empty when it does."""
    root = {**schema, "components": load_spec()["components"]}
    validator = Draft202012Validator(root, format_checker=FormatChecker())
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(instance)]


def operations() -> dict[tuple[str, str], dict]:
    """(METHOD, path) -> the operation object."""
    methods = ("get", "post", "put", "patch", "delete")
    return {(method.upper(), path): operation for path, item in load_spec()["paths"].items()
            for method, operation in item.items() if method in methods}


def response_schema(method: str, path: str, status: int) -> dict:
    response = deref(operations()[(method, path)]["responses"][str(status)])
    return response["content"]["application/json"]["schema"]
