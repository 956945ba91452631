"""Turn one request into events, or into the problem that refuses it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cesdk
from cesdk.bindings import http as http_binding
from cesdk_http._plain_json import JsonRequest, JsonWebhook, TemplateError, parse_body

__all__ = ["RequestError", "decode_request", "request_headers"]


class RequestError(Exception):
    """Why a request carries no usable event: the status and problem members to answer.

    Attributes:
        status: the HTTP status to answer.
        detail: the problem's detail text.
        attribute: the attribute at fault, when one is.
        errors: every invalid attribute and why.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        attribute: str | None = None,
        errors: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.attribute = status, detail, attribute
        self.errors = dict(errors or {})

    def members(self) -> dict[str, Any]:
        """The problem body's extension members."""
        return {"attribute": self.attribute, "errors": self.errors or None}


def request_headers(
    raw: list[tuple[bytes, bytes]],
) -> tuple[dict[str, str], tuple[tuple[str, str], ...], RequestError | None]:
    """Return the headers as a dict (lowercase names), as received pairs, and a refusal.

    A repeated field is joined with ``", "`` (RFC 9110 5.3), except a ``ce-`` attribute
    header: an attribute given twice is refused.
    """
    pairs = tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in raw)
    fields: dict[str, str] = {}
    refusal = None
    for name, value in pairs:
        name = name.lower()  # ASGI servers lower-case names already; a mounted app may not
        if name in fields:
            if name.startswith("ce-"):
                refusal = RequestError(
                    400, f"header {name!r} appears more than once", attribute=name[3:]
                )
            fields[name] = fields[name] + ", " + value
        else:
            fields[name] = value
    return fields, pairs, refusal


def _json_media_type(content_type: str) -> bool:
    essence = content_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


def _is_cloudevent(fields: Mapping[str, str]) -> bool:
    content_type = fields.get("content-type", "").lstrip().lower()
    return "ce-specversion" in fields or content_type.startswith("application/cloudevents")


def decode_request(
    fields: dict[str, str],
    body: bytes,
    *,
    plain_json: JsonWebhook | None,
    query: bytes,
    path: str,
) -> list[cesdk.CloudEvent]:
    """Decode the events of a request: binary, structured or batched mode, or plain JSON.

    Raises:
        RequestError: what to answer instead (400 naming the attribute, 415 unknown format).
    """
    try:
        if plain_json is not None and not _is_cloudevent(fields):
            content_type = fields.get("content-type", "application/json")
            if not _json_media_type(content_type):
                detail = f"expected a JSON body or a CloudEvent, got {content_type!r}"
                raise RequestError(415, detail)
            request = JsonRequest(fields, query, path, parse_body(body))
            return [plain_json.event(request)]
        content_type = fields.get("content-type", "")
        if content_type.lstrip().lower().startswith("application/cloudevents-batch"):
            return http_binding.from_http_batch(fields, body)
        return [http_binding.from_http(fields, body)]
    except cesdk.InvalidEventError as exc:
        first = next(iter(exc.errors), None)
        raise RequestError(400, str(exc), attribute=first, errors=exc.errors) from exc
    except cesdk.DecodeError as exc:
        if exc.position == "content-type":
            # An unknown event format, or no CloudEvent at all (http-webhook.md 2.2).
            raise RequestError(415, str(exc)) from exc
        where = exc.position if isinstance(exc.position, str) else None
        attribute = where[3:] if where and where.startswith("ce-") else where
        raise RequestError(400, str(exc), attribute=attribute) from exc
    except TemplateError as exc:
        raise RequestError(400, str(exc), attribute=exc.attribute) from exc
    except ValueError as exc:
        raise RequestError(400, str(exc)) from exc
