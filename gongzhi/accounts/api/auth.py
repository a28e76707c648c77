"""API authentication: the browser's session (with CSRF) or a bearer token."""

from ninja.security import HttpBearer, SessionAuth

from ..selectors import token_for_secret
from ..services import token_touch


class TokenAuth(HttpBearer):
    openapi_description = "An API token: `Authorization: Bearer gz_…` (create one at /api/v1/tokens)."

    def authenticate(self, request, token: str):
        api_token = token_for_secret(token)
        if api_token is None:
            return None
        token_touch(api_token)
        request.api_token = api_token
        return api_token.user


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


API_AUTH = [TokenAuth(), ActiveSessionAuth()]
