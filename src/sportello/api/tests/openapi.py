"""Responses checked against the published OpenAPI document."""

import json
from functools import cache

import jsonschema_rs
from django.core.serializers.json import DjangoJSONEncoder

from sportello.api.urls import api

JSON_TYPES = ("application/json", "application/problem+json")


@cache
def document() -> dict:
    """The document /api/v1/openapi.json serves (test_openapi checks they are the same)."""
    return json.loads(json.dumps(api.get_openapi_schema(), cls=DjangoJSONEncoder))


def operations() -> list[tuple[str, str, dict]]:
    """(method, path template, operation) of every operation in the document."""
    return [
        (method, path, operation)
        for path, item in document()["paths"].items()
        for method, operation in item.items()
    ]


def check_response(method: str, template: str, response) -> None:
    """The status is documented for the operation, and a JSON body matches its schema."""
    operation = document()["paths"][template][method]
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, f"{method.upper()} {template}: {response.status_code} undocumented"
    content_type = response.get("Content-Type", "").split(";")[0]
    content = declared.get("content", {})
    assert not content or content_type in content, (
        f"{method.upper()} {template}: {content_type} not in {list(content)}"
    )
    if content_type in JSON_TYPES and content.get(content_type, {}).get("schema"):
        schema = {"components": document()["components"], **content[content_type]["schema"]}
        body = json.loads(response.content)
        errors = [str(error) for error in jsonschema_rs.validator_for(schema).iter_errors(body)]
        assert not errors, f"{method.upper()} {template}: {errors[:3]}"
