"""What every API call goes through: the bearer token and its scopes, the rate limit,
problem details (RFC 9457) for errors, cursor pagination, ETags, idempotency keys."""

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Model, Q, QuerySet
from django.db.models import Field as DjangoField
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.security import HttpBearer

from sportello.core.net import client_ip

from . import actions
from .models import ApiToken, IdempotencyRecord, RateWindow

PROBLEM = "application/problem+json"
M = TypeVar("M", bound=Model)


# --- Errors --------------------------------------------------------------------------------


class Problem(Schema):
    """An error, as RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: dict[str, list[str]] | None = None


class ApiError(Exception):
    def __init__(self, status: int, title: str, detail: str = "",
                 headers: dict[str, str] | None = None,
                 errors: dict[str, list[str]] | None = None):  # fmt: skip
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.headers = headers or {}
        self.errors = errors


def problem(status: int, title: str, detail: str = "", *, headers: dict[str, str] | None = None,
            errors: dict[str, list[str]] | None = None) -> HttpResponse:  # fmt: skip
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def validation_problem(error: ValidationError) -> HttpResponse:
    if hasattr(error, "error_dict"):
        errors = {field: [str(m) for m in ValidationError(msgs).messages]
                  for field, msgs in error.error_dict.items()}  # fmt: skip
        detail = " ".join(message for messages in errors.values() for message in messages)
        return problem(422, _("The request cannot be carried out."), detail, errors=errors)
    return problem(422, _("The request cannot be carried out."), " ".join(error.messages))


def not_found() -> ApiError:
    return ApiError(404, _("Not found."))


def install_handlers(api: Any) -> None:
    """Every error the API answers, as problem details in the caller's language."""
    from ninja.errors import AuthenticationError, HttpError
    from ninja.errors import ValidationError as SchemaError

    api.add_exception_handler(
        ApiError,
        lambda request, error: problem(
            error.status, error.title, error.detail, headers=error.headers, errors=error.errors
        ),
    )
    api.add_exception_handler(ValidationError, lambda request, error: validation_problem(error))
    api.add_exception_handler(Http404, lambda request, error: problem(404, _("Not found.")))
    api.add_exception_handler(
        ObjectDoesNotExist, lambda request, error: problem(404, _("Not found."))
    )
    api.add_exception_handler(
        PermissionDenied,
        lambda request, error: problem(403, _("This token may not do this."), str(error)),
    )
    api.add_exception_handler(
        AuthenticationError,
        lambda request, error: problem(
            401,
            _("A valid API token is required."),
            _("Send it as “Authorization: Bearer spt_…”; it may have expired or been revoked."),
            headers={"WWW-Authenticate": 'Bearer realm="sportello"'},
        ),
    )
    api.add_exception_handler(
        SchemaError,
        lambda request, error: problem(
            422,
            _("The request does not match the API's schema."),
            errors=_schema_errors(error.errors),
        ),
    )
    api.add_exception_handler(HttpError, lambda request, error: problem(
        error.status_code, str(error)))  # fmt: skip


def _schema_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in errors:
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        out.setdefault(location or "request", []).append(str(error.get("msg", "")))
    return out


# --- Authentication, scopes, rate limit --------------------------------------------------------


def bearer_of(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _space, credentials = header.partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def authenticate(request: HttpRequest) -> ApiToken | None:
    """The live token the request carries (looked up once per request)."""
    if not hasattr(request, "_api_token"):
        raw = bearer_of(request)
        request._api_token = actions.find_token(raw, timezone.now()) if raw else None  # type: ignore[attr-defined]
    return request._api_token  # type: ignore[attr-defined]


def rate_limited(key: str, now: datetime) -> int | None:
    """Count one request for `key` in the current minute; the seconds to wait when over the
    limit. Counted in Redis when configured, in the database otherwise."""
    limit = settings.API_RATE_LIMIT
    window = int(now.timestamp()) // 60
    if settings.REDIS_URL:
        cache_key = f"api-rate:{key}:{window}"
        cache.add(cache_key, 0, timeout=120)
        count = cache.incr(cache_key)
    else:
        with transaction.atomic():
            updated = RateWindow.objects.filter(key=key, window=window).update(count=F("count") + 1)
            if not updated:
                try:
                    with transaction.atomic():
                        RateWindow.objects.create(key=key, window=window, count=1)
                except IntegrityError:
                    RateWindow.objects.filter(key=key, window=window).update(count=F("count") + 1)
            count = RateWindow.objects.get(key=key, window=window).count
    if count > limit:
        return 60 - int(now.timestamp()) % 60 or 1
    return None


def _enter(request: HttpRequest, token: ApiToken | None) -> None:
    if getattr(request, "_api_entered", False):
        return
    request._api_entered = True  # type: ignore[attr-defined]
    now = timezone.now()
    address = client_ip(request)
    key = f"t{token.prefix}" if token else f"ip{address}"
    wait = rate_limited(key, now)
    if wait is not None:
        raise ApiError(429, _("Too many requests."),
                       _("Try again in %(seconds)s seconds.") % {"seconds": wait},
                       headers={"Retry-After": str(wait)})  # fmt: skip
    if token is None:
        return
    if not actions.address_allowed(token, address):
        raise ApiError(403, _("This token may not be used from this address."))
    actions.mark_used(token, now, address)
    # The actions audit as the logged-in user: here, the token's holder.
    request.user = token.user
    if "Accept-Language" not in request.headers:
        translation.activate(token.user.language)
        request.LANGUAGE_CODE = token.user.language


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = authenticate(request)
        if found is not None:
            _enter(request, found)
        return found


class PublicAuth:
    """Operations anyone may call (the public knowledge base): limited per address."""

    def __call__(self, request: HttpRequest) -> ApiToken | str | None:
        if bearer_of(request):
            token = authenticate(request)
            if token is None:
                return None  # a wrong token is refused, not read as no token
            _enter(request, token)
            return token
        _enter(request, None)
        return "anonymous"


def token_of(request: HttpRequest) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


def need(request: HttpRequest, scope: str) -> ApiToken:
    token = token_of(request)
    if token is None:
        raise ApiError(401, _("A valid API token is required."),
                       headers={"WWW-Authenticate": 'Bearer realm="sportello"'})  # fmt: skip
    if scope not in actions.effective_scopes(token):
        raise ApiError(403, _("This token may not do this."),
                       _("It needs the scope “%(scope)s”.") % {"scope": scope})  # fmt: skip
    return token


def staff_only(token: ApiToken) -> None:
    if token.client_id is not None:
        raise ApiError(403, _("This token may not do this."),
                       _("Only staff tokens may do this."))  # fmt: skip


def scoped(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Check the token's scope before the operation runs."""

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            need(request, scope)
            return fn(request, *args, **kwargs)

        wrapper.required_scope = scope  # type: ignore[attr-defined]
        return wrapper

    return decorator


# --- Pagination ---------------------------------------------------------------------------------


def _cursor(values: list[Any]) -> str:
    raw = json.dumps(values, cls=DjangoJSONEncoder).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _uncursor(text: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error) as error:
        raise ApiError(422, _("This cursor is not valid.")) from error
    if not isinstance(values, list) or len(values) != 2:
        raise ApiError(422, _("This cursor is not valid."))
    return values


def paginate(queryset: QuerySet[M], *, limit: int, cursor: str | None, ordering: str,
             allowed: dict[str, str]) -> tuple[list[M], str | None]:  # fmt: skip
    """A page in keyset order: `ordering` names a key of `allowed` (a field that is never
    null), with "-" for descending; the id breaks ties. Queries do not grow with the
    page's position."""
    descending = ordering.startswith("-")
    name = ordering.lstrip("-")
    if name not in allowed:
        raise ApiError(
            422,
            _("Unknown ordering."),
            _("Order by one of: %(names)s.") % {"names": ", ".join(sorted(allowed))},
        )
    field = allowed[name]
    sign = "-" if descending else ""
    queryset = queryset.order_by(f"{sign}{field}", f"{sign}pk")
    if cursor:
        value, last_pk = _uncursor(cursor)
        model_field = queryset.model._meta.get_field(field.split("__")[0])
        assert isinstance(model_field, DjangoField)
        try:
            value = model_field.to_python(value)
            last_pk = int(last_pk)
        except (ValidationError, TypeError, ValueError) as error:
            raise ApiError(422, _("This cursor is not valid.")) from error
        op = "lt" if descending else "gt"
        if field in ("id", "pk"):
            # One range on the primary key: an index scan that starts where the page does.
            queryset = queryset.filter(**{f"pk__{op}": last_pk})
        else:
            queryset = queryset.filter(
                Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": last_pk})
            )
    rows = list(queryset[: limit + 1])
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        following = _cursor([getattr(last, field.split("__")[0]), last.pk])
    return rows, following


# --- ETags and If-Match -------------------------------------------------------------------------


def etag_of(data: Any) -> str:
    raw = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, default=str).encode()
    return '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'


def check_if_match(request: HttpRequest, current: str) -> None:
    """Optimistic concurrency: a write naming the version it read fails if it changed."""
    wanted = request.headers.get("If-Match")
    if wanted and wanted.strip() != "*" and current not in [t.strip() for t in wanted.split(",")]:
        raise ApiError(412, _("The object changed since you read it."),
                       _("Read it again and repeat the request with its new ETag."))  # fmt: skip


# --- Writes: transaction, audit, idempotency keys -------------------------------------------------


def write(idempotent: bool = False) -> Callable[..., Any]:
    """Wraps a POST operation: one transaction, an audit row with the token's name when it
    succeeds, and with `idempotent` the Idempotency-Key header: the same key again gets the
    first answer replayed (another body with that key is refused)."""

    def decorator(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(run)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            token = authenticate(request)
            if token is not None:
                # Counted outside the write's transaction, which a refusal rolls back.
                try:
                    _enter(request, token)
                except ApiError as error:
                    return problem(error.status, error.title, error.detail, headers=error.headers)
            key = request.headers.get("Idempotency-Key", "").strip() if idempotent else ""
            if token is None or not key:
                return _run_write(run, request, token, None, *args, **kwargs)
            if len(key) > 255:
                return problem(422, _("The Idempotency-Key may be at most 255 characters."))
            fingerprint = _fingerprint(request)
            earlier = IdempotencyRecord.objects.filter(token=token, key=key).first()
            if earlier is not None:
                return _replay(earlier, fingerprint)
            try:
                return _run_write(run, request, token, (key, fingerprint), *args, **kwargs)
            except IntegrityError:
                # The same key at the same moment: the first one's answer.
                earlier = IdempotencyRecord.objects.get(token=token, key=key)
                return _replay(earlier, fingerprint)

        return wrapper

    return decorator


def _fingerprint(request: HttpRequest) -> str:
    """What makes two requests with one Idempotency-Key the same request. A multipart body
    is read through its parsed fields and files: its raw body may be too large to hold in
    memory, and its boundary differs on every send."""
    digest = hashlib.sha256((request.method or "").encode() + request.path.encode() + b"\n")
    if request.content_type != "multipart/form-data":
        digest.update(request.body)
        return digest.hexdigest()
    for field, values in sorted(request.POST.lists()):
        digest.update(json.dumps([field, values]).encode())
    for field, files in sorted(request.FILES.lists()):
        for upload in files:
            digest.update(json.dumps([field, upload.name, upload.size]).encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.fingerprint != fingerprint:
        return problem(422, _("This Idempotency-Key was used for another request."))
    if record.status_code is None:
        return problem(409, _("A request with this Idempotency-Key is still running."))
    response = HttpResponse(bytes(record.body), status=record.status_code,
                            content_type=record.content_type)  # fmt: skip
    response["Idempotent-Replayed"] = "true"
    return response


def _run_write(run: Callable[..., HttpResponse], request: HttpRequest, token: ApiToken | None,
               idempotency: tuple[str, str] | None, *args: Any,
               **kwargs: Any) -> HttpResponse:  # fmt: skip
    with transaction.atomic():
        record = None
        if idempotency is not None and token is not None:
            record = IdempotencyRecord.objects.create(
                token=token, key=idempotency[0], fingerprint=idempotency[1]
            )
        response = run(request, *args, **kwargs)
        if response.status_code >= 400:
            # Nothing of a refused request stays, its key included (it may be retried).
            transaction.set_rollback(True)
            return response
        token = authenticate(request)
        if token is not None:
            actions.record_write(request, token, response.status_code)
        if record is not None:
            record.status_code = response.status_code
            record.body = response.content
            record.content_type = response.get("Content-Type", "")
            record.save(update_fields=["status_code", "body", "content_type"])
        return response
