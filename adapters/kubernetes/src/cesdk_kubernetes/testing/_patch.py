"""JSON merge patch (RFC 7386) and JSON patch (RFC 6902), over plain JSON values."""

from __future__ import annotations

import copy
from typing import Any

from cesdk_kubernetes.testing._status import ApiStatusError

__all__ = ["PATCH_TYPES", "apply_patch", "json_patch", "merge_patch"]

PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/json-patch+json": "json",
}


def merge_patch(target: Any, patch: Any) -> Any:
    """Return ``target`` with the RFC 7386 merge ``patch`` applied (inputs unchanged)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise _unprocessable(f"JSON pointer {path!r} must start with '/'")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _unprocessable(message: str) -> ApiStatusError:
    return ApiStatusError(
        422, f"the server rejected our request due to an error in our request: {message}"
    )


def _index(container: list[Any], token: str, *, for_add: bool) -> int:
    if for_add and token == "-":
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise _unprocessable(f"{token!r} is not an array index")
    index = int(token)
    if index > len(container) or (index == len(container) and not for_add):
        raise _unprocessable(f"array index {index} out of range")
    return index


def _parent(doc: Any, tokens: list[str]) -> Any:
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict):
            if token not in node:
                raise _unprocessable(f"path segment {token!r} does not exist")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, for_add=False)]
        else:
            raise _unprocessable(f"cannot descend into {token!r}")
    return node


def _get(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        return doc
    parent = _parent(doc, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise _unprocessable(f"path segment {last!r} does not exist")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, for_add=False)]
    raise _unprocessable(f"cannot read {last!r}")


def _remove(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        raise _unprocessable("cannot remove the whole document")
    parent = _parent(doc, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise _unprocessable(f"cannot remove {last!r}: it does not exist")
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, for_add=False))
    raise _unprocessable(f"cannot remove {last!r}")


def _add(doc: Any, tokens: list[str], value: Any) -> Any:
    if not tokens:
        return value
    parent = _parent(doc, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, for_add=True), value)
    else:
        raise _unprocessable(f"cannot add {last!r}")
    return doc


def json_patch(target: Any, operations: Any) -> Any:
    """Return ``target`` with the RFC 6902 ``operations`` applied (inputs unchanged).

    Raises:
        ApiStatusError: 422 for a failed ``test`` or a path that does not resolve.
    """
    if not isinstance(operations, list):
        raise ApiStatusError(400, "a JSON patch must be a list of operations")
    doc = copy.deepcopy(target)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation or "path" not in operation:
            raise ApiStatusError(400, f"invalid JSON patch operation: {operation!r}")
        op, tokens = operation["op"], _pointer(operation["path"])
        if op == "add":
            doc = _add(doc, tokens, copy.deepcopy(operation.get("value")))
        elif op == "remove":
            _remove(doc, tokens)
        elif op == "replace":
            _get(doc, tokens)
            if tokens:
                _remove(doc, tokens)
            doc = _add(doc, tokens, copy.deepcopy(operation.get("value")))
        elif op in ("move", "copy"):
            source = _pointer(operation.get("from", ""))
            value = _remove(doc, source) if op == "move" else copy.deepcopy(_get(doc, source))
            doc = _add(doc, tokens, value)
        elif op == "test":
            if _get(doc, tokens) != operation.get("value"):
                raise _unprocessable(f"testing value {operation['path']} failed")
        else:
            raise ApiStatusError(400, f"unknown JSON patch operation {op!r}")
    return doc


def apply_patch(target: dict[str, Any], patch: Any, patch_type: str) -> dict[str, Any]:
    """Apply a patch of ``patch_type`` (``merge``, ``strategic`` or ``json``).

    A strategic merge patch is applied as a merge patch: the fake knows no patch strategies
    (lists are replaced whole, ``$patch`` directives are not understood).

    Raises:
        ApiStatusError: 400/422 for a patch that cannot be applied.
    """
    if patch_type == "json":
        result = json_patch(target, patch)
    elif patch_type in ("merge", "strategic"):
        if not isinstance(patch, dict):
            raise ApiStatusError(400, "a merge patch must be a JSON object")
        result = merge_patch(target, patch)
    else:
        raise ApiStatusError(415, f"unsupported patch type {patch_type!r}")
    if not isinstance(result, dict):
        raise _unprocessable("the patched object is not a JSON object")
    return result
