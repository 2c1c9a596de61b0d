"""Uniform API error bodies: {"detail": ..., "errors": {field: [messages]}}."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from trellis.core.errors import NotFoundError, PermissionDeniedError, RateLimitedError


def validation_error_dict(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in error.error_dict.items()
        }
    return {"__all__": [str(m) for m in error.messages]}


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DjangoValidationError)
    def on_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return api.create_response(
            request,
            {"detail": "Invalid input.", "errors": validation_error_dict(exc)},
            status=422,
        )

    @api.exception_handler(NinjaValidationError)
    def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors: dict[str, list[str]] = {}
        for item in exc.errors:
            location = [
                str(p) for p in item.get("loc", []) if p not in ("body", "payload", "query", "path")
            ]
            errors.setdefault(".".join(location) or "__all__", []).append(str(item.get("msg")))
        return api.create_response(
            request, {"detail": "Invalid input.", "errors": errors}, status=422
        )

    @api.exception_handler(PermissionDeniedError)
    def on_permission_denied(request: HttpRequest, exc: PermissionDeniedError) -> HttpResponse:
        return api.create_response(
            request, {"detail": str(exc) or "You may not do this."}, status=403
        )

    @api.exception_handler(RateLimitedError)
    def on_rate_limited(request: HttpRequest, exc: RateLimitedError) -> HttpResponse:
        response = api.create_response(
            request, {"detail": str(exc), "retry_after": exc.retry_after}, status=429
        )
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(NotFoundError)
    def on_not_found(request: HttpRequest, exc: NotFoundError) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)
