"""API glue: one error body everywhere, and the per-request actor."""

from django.db import OperationalError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError

from ..access import Actor, resolve_actor
from ..errors import DomainError, Forbidden, NotFound, Unauthenticated


class ErrorOut(Schema):
    code: str
    message: str
    messages: dict[str, str]
    detail: object | None = None


_ERROR_TEXT = {
    400: "The request is not valid (a domain rule refused it).",
    401: "Not signed in, or the token is unknown, expired or revoked.",
    403: "Your role does not allow this.",
    404: "Not found, or not in an estate you (and your token) belong to.",
    409: "Conflicts with the current state (e.g. a duplicate).",
    422: "Some fields are missing or not valid.",
    429: "Too many attempts; wait and retry.",
}


class DocumentedAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI document lists, for every operation, the errors it may answer, all in the one
    error shape (``ErrorOut``): the routers declare only their successes."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}"))
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                codes = {400, 422} if operation.get("parameters") or operation.get("requestBody") else set()
                if operation.get("security"):
                    codes |= {401, 403, 404} if "{" in path else {401}
                else:
                    codes |= {401, 429}  # signing in
                if method in {"post", "put", "patch", "delete"}:
                    codes |= {409}
                for code in sorted(codes):
                    if code in operation["responses"]:  # declared by the route itself (ninja keys it by int)
                        continue
                    operation["responses"].setdefault(str(code), {
                        "description": _ERROR_TEXT[code],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
                    })
        return schema


def api_actor(request: HttpRequest, estate_id: int) -> Actor:
    """Resolve the caller in the estate of the URL; 404 for non-members (DESIGN.md habit 6)."""
    return resolve_actor(request.auth, estate_id, token=getattr(request, "api_token", None))


def _respond(api: NinjaAPI, request, error: DomainError, headers: dict | None = None):
    response = api.create_response(request, error.as_body(), status=error.status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def _validation_detail(errors: list[dict]) -> list[dict]:
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": e.get("type", "")}
            for e in errors]


# A write that waited its whole lock timeout: SQLite's busy timeout ("database is locked"), PostgreSQL's
# lock_timeout (55P03) or a serialization failure (40001). The transaction was rolled back, so the client may
# simply retry: 503 with Retry-After, never a 500.
BUSY_SQLSTATES = {"55P03", "40001", "40P01"}


def database_busy(exc: OperationalError) -> bool:
    cause = exc.__cause__ or exc
    return "database is locked" in str(exc) or getattr(cause, "sqlstate", None) in BUSY_SQLSTATES


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(OperationalError)
    def busy(request, exc: OperationalError):
        if not database_busy(exc):
            raise exc
        return _respond(api, request, DomainError(_("The system is busy; nothing was saved. Please try again."),
                                                  code="busy", status=503), headers={"Retry-After": "1"})

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return _respond(api, request, exc)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        return _respond(api, request, DomainError(_("Some fields are missing or not valid."), code="validation_error",
                                                  detail=_validation_detail(exc.errors), status=422))

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc):
        return _respond(api, request, Unauthenticated(), headers={"WWW-Authenticate": "Bearer"})

    @api.exception_handler(AuthorizationError)
    def authorization_error(request, exc):
        return _respond(api, request, Forbidden())

    @api.exception_handler(Throttled)
    def throttled(request, exc: Throttled):
        return _respond(api, request, DomainError(_("Too many requests; please wait a moment."), code="throttled",
                                                  status=429), headers={"Retry-After": str(exc.wait or 60)})

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return _respond(api, request, NotFound())

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return _respond(api, request, DomainError(str(exc), code="http_error", status=exc.status_code))
