"""The YAML reference page is generated from the schema and must match it."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

from cesdk._config import json_schema

ROOT = Path(__file__).parents[2]


def test_reference_page_is_current() -> None:
    render = runpy.run_path(str(ROOT / "scripts" / "gen_yaml_reference.py"))["render"]
    page = (ROOT / "docs" / "yaml-reference.md").read_text()
    assert page == render(json_schema()), (
        "docs/yaml-reference.md is stale; run `uv run python scripts/gen_yaml_reference.py`"
    )


def test_schema_names_every_top_level_key_and_closes_the_top_level() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["properties"]) == {
        "name", "source", "steps", "routes", "sink", "dead_letter", "dedupe", "delivery",
        "concurrency", "ordering", "shutdown_timeout",
    }  # fmt: skip
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["source"]
    # Knative's spelling is the schema's spelling.
    delivery = schema["$defs"]["DeliverySpec"]["properties"]
    assert {"retry", "backoffPolicy", "backoffDelay", "timeout", "deadLetterSink"} == set(delivery)
    json.dumps(schema)  # plain JSON, for editors and docs


def test_schema_documents_the_short_forms() -> None:
    schema = json_schema()
    source = schema["properties"]["source"]["anyOf"]
    assert {"type": "string", "description": "Short for `{use: <name>}`."} in source
    retry = schema["$defs"]["RouteSpec"]["properties"]["retry"]["anyOf"]
    assert any(option.get("type") == "integer" for option in retry)
