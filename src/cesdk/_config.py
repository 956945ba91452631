"""YAML pipelines: read, validate and build a ``cesdk.Pipeline`` from a file.

Reading happens in three passes, and each collects every problem it finds rather than
stopping at the first: the YAML itself (``_config_yaml``: syntax, ``${ENV}``, hostile
input), the shape of the file (``_config_schema``, pydantic), and the plugins, filters
and steps it names (``_config_build``: loaded and checked against their signatures).
Every problem names the file, the line and the key path. Values of secret-looking keys
(token, password, secret, key, auth, credential) never appear in a message.

Example:
    >>> import cesdk._config as config
    >>> pipeline = config.load_pipeline("examples/generator-to-console.yaml")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from cesdk._config_build import Builder, Checker
from cesdk._config_plugins import did_you_mean
from cesdk._config_schema import PipelineSpec
from cesdk._config_yaml import Document, KeyPath, Located, is_secret_key, key_text, read_document
from cesdk._errors import ConfigError
from cesdk._pipeline._contracts import Source
from cesdk._pipeline._pipeline import Pipeline

__all__ = ["ConfigError", "json_schema", "load_pipeline", "masked", "resolved", "validate_file"]

log = logging.getLogger("cesdk.config")

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+@")
_MASK = "***"


def _scrub(text: str, secrets: AbstractSet[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, _MASK)
    return _USERINFO.sub(lambda m: m.group("scheme") + _MASK + "@", text)


def masked(data: Any, secrets: AbstractSet[str] = frozenset(), *, hide: bool = False) -> Any:
    """Return a copy of config data with secret values replaced by ``***``.

    Args:
        data: dicts, lists and scalars.
        secrets: strings to mask wherever they appear.
        hide: mask every scalar (used below a secret key).
    """
    if isinstance(data, dict):
        return {k: masked(v, secrets, hide=hide or is_secret_key(k)) for k, v in data.items()}
    if isinstance(data, list):
        return [masked(v, secrets, hide=hide) for v in data]
    if hide and data is not None:
        return _MASK
    return _scrub(data, secrets) if isinstance(data, str) else data


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _keys_at(loc: Sequence[str | int]) -> list[str]:
    """Return the keys the schema allows at ``loc``, for "did you mean" hints."""
    model: type[BaseModel] | None = PipelineSpec
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        found = fields.get(part)
        model = _model_in(found.annotation) if found is not None else None
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _schema_problems(exc: ValidationError, doc: Document) -> list[Located]:
    problems = []
    for error in exc.errors(include_url=False):
        path: KeyPath = tuple(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            name = str(path[-1])
            message = f"unknown key {name!r}" + did_you_mean(name, _keys_at(path[:-1]))
        elif kind == "missing":
            message = f"missing required key {path[-1]!r}"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            value = error.get("input")
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                secret = any(is_secret_key(p) for p in path) or value in doc.secrets
                shown = _MASK if secret else repr(value)
                message += f" (got {shown[:60]})"
        problems.append(Located(path, doc.line_of(path), message))
    return problems


def _load(
    path: str | os.PathLike[str], environ: Mapping[str, str] | None, source: Source | None
) -> tuple[Pipeline | None, list[ConfigError], Document]:
    file = os.fspath(path)
    doc = read_document(file, environ)
    problems = list(doc.problems)
    pipeline = None
    if doc.data is not None and not isinstance(doc.data, dict):
        problems.append(Located((), doc.line_of(()), "a pipeline file is a mapping of keys"))
    elif doc.data is not None and not problems:
        try:
            spec = PipelineSpec.model_validate(doc.data)
        except ValidationError as exc:
            problems.extend(_schema_problems(exc, doc))
            checker = Checker(doc)
            checker.raw_plugins(doc.data)
            reported = {p.path for p in problems}
            problems.extend(p for p in checker.problems if p.path not in reported)
        else:
            builder = Builder(doc, spec, Path(file).resolve().parent)
            pipeline = builder.pipeline(source)
            problems.extend(builder.problems)
    errors = [
        ConfigError(
            _scrub(p.message, doc.secrets),
            file=file,
            line=p.line,
            key=key_text(p.path) if p.path else "",
        )
        for p in sorted(problems, key=lambda p: p.line or 0)
    ]
    return (None if errors else pipeline), errors, doc


def validate_file(
    path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None
) -> list[ConfigError]:
    """Check a pipeline file; return every problem (empty when it is valid).

    The plugins it names are imported and instantiated, as ``load_pipeline`` would,
    but nothing is opened or run.

    Args:
        path: the YAML file.
        environ: the variables for ``${NAME}``; ``os.environ`` by default.
    """
    return _load(path, environ, None)[1]


def load_pipeline(
    path: str | os.PathLike[str],
    *,
    environ: Mapping[str, str] | None = None,
    source: Source | None = None,
) -> Pipeline:
    """Build the pipeline a YAML file describes.

    Args:
        path: the YAML file.
        environ: the variables for ``${NAME}``; ``os.environ`` by default.
        source: use this source instead of the file's (its ``source`` is still
            checked, not instantiated); ``cesdk replay`` reads dead letters this way.

    Raises:
        ConfigError: the file is invalid; ``.problems`` lists every problem.
    """
    pipeline, errors, doc = _load(path, environ, source)
    if errors:
        if len(errors) == 1:
            raise errors[0]
        first = errors[0]
        raise ConfigError(
            first.reason, file=first.file, line=first.line, key=first.key, problems=errors
        )
    assert pipeline is not None
    if log.isEnabledFor(logging.DEBUG):
        log.debug("pipeline %r from %s: %s", pipeline.name, path, masked(doc.data, doc.secrets))
    return pipeline


def resolved(path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None) -> Any:
    """Return the file's data after ``${ENV}`` substitution, secrets masked (for display)."""
    doc = read_document(path, environ)
    return masked(doc.data, doc.secrets)


# The short forms the models accept before validation, for the JSON Schema.
_SHORTHANDS: dict[str, dict[str, Any]] = {
    "PluginSpec": {"type": "string", "description": "Short for `{use: <name>}`."},
    "RouteSpec": {"type": "string", "description": "Short for `{use: <name>}`."},
    "StepSpec": {"type": "string", "description": "Short for `{python: <module:function>}`."},
    "RetrySpec": {"type": "integer", "minimum": 0, "description": "Retries after the first."},
    "DedupeSpec": {"type": "boolean", "description": "On with the defaults, or off."},
}


def _with_shorthands(node: Any) -> Any:
    if isinstance(node, list):
        return [_with_shorthands(item) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref", "")
    name = ref.rsplit("/", 1)[-1]
    if name in _SHORTHANDS:
        rest = {key: value for key, value in node.items() if key != "$ref"}
        return {"anyOf": [{"$ref": ref}, dict(_SHORTHANDS[name])], **rest}
    out = {key: _with_shorthands(value) for key, value in node.items()}
    if "anyOf" in out:  # a nullable short form: one flat list of alternatives
        out["anyOf"] = [
            item
            for option in out["anyOf"]
            for item in (option["anyOf"] if set(option) == {"anyOf"} else [option])
        ]
    return out


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema of a pipeline file (plugin options are left open)."""
    schema: dict[str, Any] = _with_shorthands(PipelineSpec.model_json_schema(by_alias=True))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "cesdk pipeline"
    return schema
