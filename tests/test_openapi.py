"""The OpenAPI document at /api/v1/openapi.json: served, structurally sound, complete, and every operation
described, tagged and documented with its errors in the one error shape."""

import json
import re
import typing
from collections import defaultdict

import pytest
from django.test import Client
from pydantic import BaseModel

from tests.test_isolation import API_ROUTES, ApiRoute

_PATH_PARAM = re.compile(r"\{(\w+)\}")
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def doc(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def operations(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _resolve(doc, ref: str):
    assert ref.startswith("#/"), f"only local references are expected: {ref}"
    node = doc
    for part in ref[2:].split("/"):
        assert part in node, f"dangling reference {ref}"
        node = node[part]
    return node


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_document_is_openapi_3_with_title_version_and_description(doc):
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] and doc["info"]["version"] == "1"
    assert "not_found" in doc["info"]["description"] or "404" in doc["info"]["description"]
    assert doc["paths"]


def test_every_path_item_is_well_formed(doc):
    for path, item in doc["paths"].items():
        assert path.startswith("/api/v1/"), path
        assert set(item) <= METHODS | {"parameters", "summary", "description"}, (path, set(item))


def test_every_operation_is_well_formed(doc):
    seen_ids = set()
    for path, method, operation in operations(doc):
        where = f"{method.upper()} {path}"
        assert operation.get("operationId"), where
        assert operation["operationId"] not in seen_ids, f"duplicate operationId at {where}"
        seen_ids.add(operation["operationId"])
        assert operation.get("responses"), where
        for status, response in operation["responses"].items():
            assert re.fullmatch(r"[1-5]\d\d|default", status), (where, status)
            assert response.get("description"), (where, status)
        for parameter in operation.get("parameters", []):
            assert parameter["in"] in {"path", "query", "header", "cookie"}, where
            assert "schema" in parameter or "content" in parameter, where
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert declared == set(_PATH_PARAM.findall(path)), f"{where}: path parameters {declared}"
        assert all(p["required"] for p in operation.get("parameters", []) if p["in"] == "path"), where
        if "requestBody" in operation:
            assert operation["requestBody"]["content"], where


def test_every_reference_resolves(doc):
    refs = set(_refs(doc))
    assert refs, "a document with schemas has references"
    for ref in refs:
        _resolve(doc, ref)


def test_the_security_schemes_used_are_declared(doc):
    schemes = doc["components"]["securitySchemes"]
    assert schemes["TokenAuth"]["scheme"] == "bearer"
    for path, method, operation in operations(doc):
        for requirement in operation.get("security", []):
            assert set(requirement) <= set(schemes), (method, path)


@pytest.mark.parametrize("route", API_ROUTES, ids=str)
def test_every_route_is_documented_with_a_summary_tags_and_its_errors(doc, route: ApiRoute):
    path = "/api/v1" + route.path
    assert path in doc["paths"], f"{route} is missing from the document"
    operation = doc["paths"][path].get(route.method.lower())
    assert operation is not None, f"{route} is missing from the document"
    assert operation.get("summary", "").strip(), f"{route} has no summary"
    assert operation.get("tags"), f"{route} has no tags"
    assert bool(operation.get("security")) != route.public
    errors = {int(s) for s in operation["responses"] if s.startswith(("4", "5"))}
    assert 401 in errors, f"{route}: no 401 documented"
    if route.estate_scoped:
        assert {403, 404} <= errors, f"{route}: 403/404 not documented"
    for status in errors:
        schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (route, status)


def test_the_error_shape_is_documented(doc):
    error = doc["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) >= {"code", "message", "messages"}
    assert set(error["properties"]) == {"code", "message", "messages", "detail"}


def test_the_document_lists_nothing_that_is_not_routed(doc):
    routed = {("/api/v1" + r.path, r.method.lower()) for r in API_ROUTES}
    documented = {(path, method) for path, method, _operation in operations(doc)}
    assert documented == routed


def test_the_interactive_docs_render(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_the_served_document_repeats_no_key(db):
    # given routes that declare some of their error responses themselves (the registry import and export)
    # when the document is read as JSON text, as Swagger UI reads it
    body = Client().get("/api/v1/openapi.json").content

    def refuse_duplicates(pairs):
        keys = [key for key, _value in pairs]
        assert len(keys) == len(set(keys)), f"repeated keys: {sorted({k for k in keys if keys.count(k) > 1})}"
        return dict(pairs)

    # then no object in it repeats a key (Swagger UI refuses to render such a document)
    json.loads(body, object_pairs_hook=refuse_duplicates)
def test_the_interactive_docs_need_no_outside_server(db):
    # given a site without access to the internet (or behind the Great Firewall, where CDNs are unreliable)
    html = Client().get("/api/v1/docs").content.decode()
    # then Swagger UI is served from the site's own static files
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html and "https://" not in html


def _models_in(annotation, seen: set) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in seen:
            seen.add(annotation)
            for field in annotation.model_fields.values():
                _models_in(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models_in(arg, seen)


def test_no_two_different_schemas_share_a_name():
    """The document keys its schemas by class name: two different schemas with one name would silently describe
    one route with the other's fields. Every schema reachable from a route must have a name of its own."""
    from config.api import api

    seen: set = set()
    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                for model in [*operation.models, *(operation.response_models or {}).values()]:
                    _models_in(model, seen)
    by_name = defaultdict(dict)
    for model in seen:
        if model.__module__ != "abc":  # ninja's per-operation wrappers, never in the document by name
            by_name[model.__name__][f"{model.__module__}.{model.__qualname__}"] = json.dumps(
                model.model_json_schema(), sort_keys=True)
    clashes = {name: sorted(schemas) for name, schemas in by_name.items() if len(set(schemas.values())) > 1}
    assert not clashes, f"rename one of each: {clashes}"
