"""Templates that turn a CloudEvent into text: Slack messages, email subjects and bodies.

Jinja2 (the ``templates`` extra) in a sandbox, with escaping fit for the target::

    from cesdk import templates
    t = templates.compile("*{{ reason }}* on `{{ subject }}`: {{ data.message }}", escape="slack")
    t.render(event)

A template sees ``event`` (the CloudEvent), every context attribute and extension by name
(``id``, ``type``, ``source``, ``subject``, ``time``, ``reason``...), ``data``, ``extensions``,
and any ``params`` passed to :meth:`Template.render`. Names the event lacks are errors, so a
typo does not render as an empty string: write ``{{ reason | default("") }}`` or
``{% if reason is defined %}`` for attributes that are optional.

Escaping: ``"html"`` escapes every value for an HTML body, ``"slack"`` escapes ``&``, ``<``
and ``>`` in every value (an event cannot mention ``<!channel>`` or inject a link), ``"none"``
leaves values alone (plain-text email, subjects). The template's own text is never escaped;
``{{ value | safe }}`` opts one value out.

Errors: a template that does not compile raises :class:`cesdk.ConfigError` naming it and the
line, when the sink is built. A render failure raises :class:`TemplateError`, a
:class:`cesdk.PermanentDeliveryError` naming the template, line and event id, so the pipeline
dead-letters that event and goes on.

Instead of a template, any callable ``(event) -> str`` works the same way
(:func:`compile` wraps it). :func:`default` returns the shipped templates, which format
Kubernetes Events (reason, object, namespace, message, count, first and last seen) and fall
back to a generic layout for any other event.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from cesdk._errors import ConfigError, MissingDependencyError, PermanentDeliveryError
from cesdk._event import NO_DATA, CloudEvent
from cesdk.templates._filters import (
    FILTERS,
    escape_slack,
    humanize,
    kubernetes_fields,
    since,
    timeformat,
    to_datetime,
)

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "DEFAULTS",
    "Escape",
    "Template",
    "TemplateError",
    "compile",
    "context",
    "default",
    "escape_slack",
    "humanize",
    "is_kubernetes_event",
    "kubernetes_fields",
    "since",
    "timeformat",
    "to_datetime",
]

Escape = Literal["html", "slack", "none"]

DEFAULTS = ("email_html", "email_subject", "email_text", "slack", "slack_header")
"""The names :func:`default` knows."""

_MAX_OUTPUT = 1_000_000


class TemplateError(PermanentDeliveryError):
    """A template failed on one event; the pipeline dead-letters that event.

    Attributes:
        template: the template's name (its file path, or the name it was given).
        line: the template line that failed, when known.
        event_id: the id of the event being rendered.
    """

    def __init__(self, reason: str, *, template: str, line: int | None, event_id: str) -> None:
        self.template, self.line, self.event_id, self.reason = template, line, event_id, reason
        place = template + (f" line {line}" if line is not None else "")
        super().__init__(f"template {place} failed for event {event_id!r}: {reason}")


def _jinja() -> Any:
    try:
        import jinja2
        import jinja2.sandbox
    except ImportError as exc:  # pragma: no cover - the extra is installed in tests
        raise MissingDependencyError(
            'templates need Jinja2: pip install "cesdk[templates]"'
        ) from exc
    return jinja2


def context(event: CloudEvent, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The names a template sees for ``event`` (attributes, extensions, data, params)."""
    ctx: dict[str, Any] = dict(event.attributes)
    if "time" in ctx:
        ctx["time"] = event.time  # a datetime (cesdk.Timestamp) whose str() is the RFC 3339 text
    data = event.data
    ctx["data"] = None if data is NO_DATA else data
    ctx["event"] = event
    ctx["extensions"] = dict(event.extensions)
    ctx["has_data"] = event.has_data
    if params:
        ctx.update(params)
    return ctx


class Template:
    """A compiled template (or callable): ``render(event, **params) -> str``."""

    __slots__ = ("_fn", "_template", "escape", "name")

    def __init__(
        self,
        name: str,
        escape: Escape,
        *,
        template: jinja2.Template | None = None,
        fn: Callable[[CloudEvent], str] | None = None,
    ) -> None:
        self.name, self.escape, self._template, self._fn = name, escape, template, fn

    def __repr__(self) -> str:
        return f"<cesdk.templates.Template {self.name!r} escape={self.escape}>"

    def render(self, event: CloudEvent, /, **params: Any) -> str:
        """Render for one event. Raises :class:`TemplateError` on any failure."""
        try:
            if self._fn is not None:
                out = self._fn(event)
                if not isinstance(out, str):
                    raise TypeError(f"the callable returned {type(out).__name__}, not str")
            else:
                assert self._template is not None
                out = self._template.render(context(event, params))
        except TemplateError:
            raise
        except Exception as exc:  # a template may fail in any way; the event is dead-lettered
            raise TemplateError(
                _describe(exc), template=self.name, line=_line_of(exc, self.name), event_id=event.id
            ) from exc
        if len(out) > _MAX_OUTPUT:
            raise TemplateError(
                f"rendered {len(out):,} characters, more than the {_MAX_OUTPUT:,} allowed",
                template=self.name,
                line=None,
                event_id=event.id,
            )
        return out


def _describe(exc: BaseException) -> str:
    name = type(exc).__name__
    text = str(exc)
    if name == "UndefinedError":
        return f"{text} (use | default(...) or 'is defined' for optional names)"
    if name == "SecurityError":
        return f"not allowed in the sandbox: {text}"
    return f"{name}: {text}" if text else name


def _line_of(exc: BaseException, name: str) -> int | None:
    """The template line in the traceback: Jinja2 rewrites frames to the template's lines."""
    line: int | None = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == name:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _finalizer(escape: Escape) -> Callable[[Any], Any] | None:
    if escape != "slack":
        return None
    _jinja()
    from markupsafe import Markup  # Jinja2's own dependency: what | safe returns

    def finalize(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, Markup):
            return str(value)
        return escape_slack(value)

    return finalize


_ENVIRONMENTS: dict[tuple[Escape, tuple[str, ...]], Any] = {}
_environment_class: Any = None


def _sandbox() -> Any:
    """Jinja2's immutable sandbox, also refusing ``*`` and ``**`` that would build huge values."""
    global _environment_class
    if _environment_class is None:
        jinja2 = _jinja()
        base = jinja2.sandbox.ImmutableSandboxedEnvironment

        class Sandbox(base):  # type: ignore[misc, valid-type]
            intercepted_binops = frozenset({"*", "**"})

            def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
                if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
                    raise jinja2.sandbox.SecurityError(f"exponent {right} is too large")
                if operator == "*":
                    sized = left if isinstance(left, (str, list, tuple)) else right
                    times = right if sized is left else left
                    if (
                        isinstance(sized, (str, list, tuple))
                        and isinstance(times, int)
                        and len(sized) * times > _MAX_OUTPUT
                    ):
                        raise jinja2.sandbox.SecurityError("repetition exceeds the output limit")
                return super().call_binop(context, operator, left, right)

        _environment_class = Sandbox
    return _environment_class


def _environment(escape: Escape, search_path: tuple[str, ...]) -> Any:
    key = (escape, search_path)
    env = _ENVIRONMENTS.get(key)
    if env is None:
        jinja2 = _jinja()
        env = _sandbox()(
            loader=jinja2.FileSystemLoader(list(search_path)) if search_path else None,
            autoescape=escape == "html",
            finalize=_finalizer(escape),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(FILTERS)
        env.globals["is_kubernetes_event"] = is_kubernetes_event
        env.globals["k8s"] = kubernetes_fields
        _ENVIRONMENTS[key] = env
    return env


def _from_source(source: str, name: str, escape: Escape, search_path: tuple[str, ...]) -> Template:
    jinja2 = _jinja()
    env = _environment(escape, search_path)
    try:
        code = env.compile(source, name=name, filename=name)
    except jinja2.TemplateSyntaxError as exc:
        reason = f"template syntax error: {exc.message}"
        raise ConfigError(reason, file=name, line=exc.lineno) from exc
    template = env.template_class.from_code(env, code, env.make_globals(None), None)
    return Template(name, escape, template=template)


def compile(
    source: str | os.PathLike[str] | Callable[[CloudEvent], str] | Template,
    *,
    escape: Escape = "none",
    name: str | None = None,
) -> Template:
    """A :class:`Template` from inline text (``str``), a file (``pathlib.Path``) or a callable.

    Args:
        source: template text; a path (``Path`` or ``os.PathLike``) to a template file, whose
            directory is also searched by ``{% include %}``; a callable ``(event) -> str``;
            or a ``Template`` (returned as is).
        escape: ``"html"``, ``"slack"`` or ``"none"``; see the module documentation.
        name: how errors name the template (default: the file path, or ``"<inline>"``).

    Raises:
        ConfigError: the template does not compile, or its file cannot be read.
    """
    if escape not in ("html", "slack", "none"):
        raise ConfigError(f"escape must be 'html', 'slack' or 'none', not {escape!r}")
    if isinstance(source, Template):
        return source
    if isinstance(source, os.PathLike):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read template file: {exc}", file=str(path)) from exc
        return _from_source(text, name or str(path), escape, (str(path.parent),))
    if isinstance(source, str):
        return _from_source(source, name or "<inline>", escape, ())
    if callable(source):
        label = name or getattr(source, "__qualname__", None) or repr(source)
        return Template(str(label), escape, fn=source)
    raise ConfigError(f"a template is text, a path or a callable, not {type(source).__name__}")


def is_kubernetes_event(event: CloudEvent) -> bool:
    """Whether ``event`` is a Kubernetes Event as the Kubernetes source emits it."""
    return event.type.startswith("io.k8s.event.") and isinstance(event.data, dict)


_DEFAULT_ESCAPE: dict[str, Escape] = {
    "email_html": "html",
    "email_subject": "none",
    "email_text": "none",
    "slack": "slack",
    "slack_header": "none",
}


def default(name: str) -> Template:
    """A shipped template: one of :data:`DEFAULTS`.

    Each formats Kubernetes Events (``io.k8s.event.*`` with the Event object as data) with
    reason, object, namespace, message, count and first/last seen, and any other event with
    its type, source, subject, time, extensions and data.
    """
    if name not in _DEFAULT_ESCAPE:
        raise ConfigError(
            f"no default template named {name!r}; the defaults are {', '.join(DEFAULTS)}"
        )
    text = resources.files("cesdk.templates").joinpath("defaults", f"{name}.j2").read_text("utf-8")
    return _from_source(text, f"cesdk:{name}", _DEFAULT_ESCAPE[name], ())
