"""Read a YAML pipeline file safely, remembering the line of every key.

The file is composed into a node tree by PyYAML's safe loader (libyaml when present)
and converted here, rather than by PyYAML's constructor, for three reasons: every key's
line is recorded so that schema errors can name it; ``${ENV}`` references are replaced
in scalars before their type is resolved; and hostile input is refused early. Aliases
are not expanded by composing, only by converting, so a budget on converted values
stops "billion laughs" documents, and a depth limit stops deep nesting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_VALUES",
    "Document",
    "KeyPath",
    "Located",
    "is_secret_key",
    "key_text",
    "read_document",
]

#: A config file larger than this is refused unread (1 MiB is far beyond any real one).
MAX_BYTES: Final = 1 << 20
#: Values a document may expand to, aliases included; stops "billion laughs".
MAX_VALUES: Final = 100_000
#: Nesting depth a document may reach.
MAX_DEPTH: Final = 64

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG: Final = "tag:yaml.org,2002:merge"
_STR_TAG: Final = "tag:yaml.org,2002:str"
_SEQ_TAG: Final = "tag:yaml.org,2002:seq"
_MAP_TAG: Final = "tag:yaml.org,2002:map"
_REFERENCE = re.compile(r"\$\$\{|\$\{(?P<body>[^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_KEY = re.compile(r"token|password|passwd|secret|key|auth|credential|webhook", re.IGNORECASE)

KeyPath = tuple[str | int, ...]


def is_secret_key(name: object) -> bool:
    """Tell whether a key (or an environment variable name) holds a secret."""
    return isinstance(name, str) and _SECRET_KEY.search(name) is not None


def key_text(path: KeyPath) -> str:
    """Format a key path as ``routes[0].retry.max_attempts``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"


@dataclass(frozen=True, slots=True)
class Located:
    """A problem found at a key path (and line, when known)."""

    path: KeyPath
    line: int | None
    message: str


@dataclass
class Document:
    """A parsed config: plain data, the line of each key path, and what must stay hidden.

    Attributes:
        data: the document as dicts, lists and scalars, ``${ENV}`` substituted.
        lines: the 1-based line of every mapping key and sequence item, by key path.
        secrets: string values to mask in messages (values under secret keys, and
            values of secret-named environment variables).
        problems: what went wrong while reading; ``data`` is ``None`` when reading
            could not finish.
    """

    data: Any = None
    lines: dict[KeyPath, int] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)
    problems: list[Located] = field(default_factory=list)

    def line_of(self, path: KeyPath) -> int | None:
        """Return the line of ``path`` or of its nearest ancestor that has one."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return self.lines.get(())


class _AbortError(Exception):
    """Stop converting: the document is hostile or broken beyond further checks."""

    def __init__(self, problem: Located) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1


class _Converter:
    def __init__(self, loader: Any, environ: Mapping[str, str]) -> None:
        self.loader = loader
        self.environ = environ
        self.doc = Document()
        self.budget = MAX_VALUES
        self.open: set[int] = set()  # nodes on the current path: a repeat means a cycle

    def value(self, node: Any, path: KeyPath, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _AbortError(
                Located(
                    path,
                    _line(node),
                    f"the document expands to more than {MAX_VALUES} values; "
                    "aliases that multiply (a 'billion laughs' document) are refused",
                )
            )
        if depth > MAX_DEPTH:
            raise _AbortError(Located(path, _line(node), f"nested deeper than {MAX_DEPTH} levels"))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if node.tag not in (_SEQ_TAG, _MAP_TAG):
            raise _AbortError(
                Located(path, _line(node), f"not valid YAML: unsupported tag {node.tag}")
            )
        if id(node) in self.open:
            raise _AbortError(Located(path, _line(node), "an alias refers to its own ancestor"))
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                items = []
                for index, item in enumerate(node.value):
                    self.doc.lines[(*path, index)] = _line(item)
                    items.append(self.value(item, (*path, index), depth + 1))
                return items
            return self.mapping(node, path, depth)
        finally:
            self.open.discard(id(node))

    def mapping(self, node: Any, path: KeyPath, depth: int) -> dict[str, Any]:
        merged: list[Any] = []
        explicit: list[tuple[Any, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                merged.extend(sources)
            else:
                explicit.append((key_node, value_node))
        result: dict[str, Any] = {}
        # YAML merge keys: explicit keys win, and earlier merged mappings win over later.
        for source in reversed(merged):
            if not isinstance(source, yaml.MappingNode):
                raise _AbortError(Located(path, _line(source), "'<<' merges only mappings"))
            result.update(self.value(source, path, depth + 1))
        seen: dict[str, int] = {}
        for key_node, value_node in explicit:
            key = (
                self.loader.construct_object(key_node)
                if isinstance(key_node, yaml.ScalarNode)
                else None
            )
            if not isinstance(key, str):
                self.doc.problems.append(Located(path, _line(key_node), "keys must be strings"))
                continue
            child = (*path, key)
            if key in seen:
                self.doc.problems.append(
                    Located(child, _line(key_node), f"duplicate key (first at line {seen[key]})")
                )
                continue
            seen[key] = _line(key_node)
            self.doc.lines[child] = _line(key_node)
            result[key] = self.value(value_node, child, depth + 1)
        return result

    def scalar(self, node: Any, path: KeyPath) -> Any:
        text: str = node.value
        if "$" not in text or node.tag != _STR_TAG:
            value = self.loader.construct_object(node)
        else:
            text = self.substitute(text, path, _line(node))
            if node.style is None:
                # A plain scalar: type the substituted text as YAML would have typed it.
                tag = self.loader.resolve(yaml.ScalarNode, text, (True, False))
                value = self.loader.construct_object(
                    yaml.ScalarNode(tag, text, node.start_mark, node.end_mark)
                )
            else:
                value = text
        if isinstance(value, str) and value and any(is_secret_key(p) for p in path):
            self.doc.secrets.add(value)
        return value

    def substitute(self, text: str, path: KeyPath, line: int) -> str:
        def replace(match: re.Match[str]) -> str:
            whole, body = match.group(0), match.group("body")
            if whole == "$${":
                return "${"
            if body is None:
                self.doc.problems.append(Located(path, line, "unterminated '${' (escape as '$${')"))
                return ""
            name, has_default, default = body.partition(":-")
            if not _NAME.fullmatch(name):
                self.doc.problems.append(
                    Located(path, line, f"'${{{body}}}' is not ${{NAME}} or ${{NAME:-default}}")
                )
                return ""
            value = self.environ.get(name)
            if not value and has_default:
                value = default
            if value is None:
                self.doc.problems.append(
                    Located(
                        path,
                        line,
                        f"environment variable {name} is not set "
                        f"(give a default with ${{{name}:-default}})",
                    )
                )
                return ""
            if is_secret_key(name) and value:
                self.doc.secrets.add(value)
            return value

        return _REFERENCE.sub(replace, text)


def read_document(
    path: str | os.PathLike[str], environ: Mapping[str, str] | None = None
) -> Document:
    """Read and convert one YAML document, collecting problems rather than raising.

    Args:
        path: the file.
        environ: the variables for ``${NAME}``; ``os.environ`` by default.
    """
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_BYTES:
            return Document(
                problems=[Located((), None, f"the file is {size} bytes; the limit is {MAX_BYTES}")]
            )
        raw = file.read_bytes()
    except OSError as exc:
        return Document(
            problems=[Located((), None, f"cannot read the file: {exc.strerror or exc}")]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return Document(problems=[Located((), line, "the file is not UTF-8 text")])
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(problems=[Located((), None, "the file holds no YAML document")])
        converter = _Converter(loader, os.environ if environ is None else environ)
        converter.doc.lines[()] = _line(node)
        converter.doc.data = converter.value(node, (), 0)
        return converter.doc
    except _AbortError as exc:
        return Document(problems=[exc.problem])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = int(mark.line) + 1 if mark is not None else None
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        return Document(problems=[Located((), where, f"not valid YAML: {what}")])
    except (yaml.YAMLError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        return Document(problems=[Located((), None, f"not valid YAML: {reason}")])
    finally:
        loader.dispose()
