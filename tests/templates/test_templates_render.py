"""cesdk.templates: rendering, escaping, errors, the sandbox and the shipped defaults."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cesdk
from cesdk import templates
from cesdk.templates import TemplateError

K8S_NEW = {
    "metadata": {"name": "web-1.17a", "namespace": "shop", "uid": "u-1"},
    "regarding": {"kind": "Pod", "name": "web-1", "namespace": "shop"},
    "reason": "BackOff",
    "note": "Back-off restarting failed container",
    "type": "Warning",
    "series": {"count": 7, "lastObservedTime": "2026-11-27T10:05:00.123456789Z"},
    "deprecatedFirstTimestamp": "2026-11-27T09:00:00Z",
    "reportingController": "kubelet",
}
K8S_OLD = {
    "metadata": {"name": "web-1.17b", "namespace": "shop"},
    "involvedObject": {"kind": "Deployment", "name": "api", "namespace": "shop"},
    "reason": "ScalingReplicaSet",
    "message": "Scaled up replica set api-5f to 3",
    "type": "Normal",
    "count": 2,
    "firstTimestamp": "2026-11-27T08:00:00Z",
    "lastTimestamp": "2026-11-27T08:30:00Z",
    "source": {"component": "deployment-controller"},
}


def k8s_event(data: dict[str, object]) -> cesdk.CloudEvent:
    kind = str(data["type"]).lower()
    return cesdk.CloudEvent(
        type=f"io.k8s.event.{kind}", source="/k8s/prod/shop", subject="Pod/web-1", data=data
    )


def order(**data: object) -> cesdk.CloudEvent:
    return cesdk.CloudEvent(
        id="order-1",
        type="com.example.order.created",
        source="/shop",
        subject="orders/1",
        time="2026-11-27T10:00:00Z",
        data=data or {"total": 3},
        extensions={"severity": "high", "retries": 2},
    )


def test_every_attribute_extension_data_and_param_is_a_name() -> None:
    t = templates.compile(
        "{{ id }}|{{ type }}|{{ source }}|{{ subject }}|{{ time.year }}|{{ specversion }}|"
        "{{ severity }}|{{ retries + 1 }}|{{ data.total }}|{{ extensions.severity }}|"
        "{{ event.id }}|{{ who }}"
    )
    assert t.render(order(), who="ops") == (
        "order-1|com.example.order.created|/shop|orders/1|2026|1.0|high|3|3|high|order-1|ops"
    )


def test_no_data_is_none_and_has_data_is_false() -> None:
    ev = cesdk.CloudEvent(type="t", source="/s")
    assert templates.compile("{{ data is none }} {{ has_data }}").render(ev) == "True False"


def test_slack_escaping_covers_values_but_not_the_template_text() -> None:
    ev = order(note="<!channel> & <https://evil.example|click> <@U123>")
    t = templates.compile("<!here> {{ data.note }} {{ '<b>' | safe }}", escape="slack")
    assert t.render(ev) == (
        "<!here> &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; &lt;@U123&gt; <b>"
    )


def test_html_escaping_and_none_escaping() -> None:
    ev = order(note="<script>alert(1)</script>")
    assert templates.compile("<p>{{ data.note }}</p>", escape="html").render(ev) == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )
    assert templates.compile("{{ data.note }}").render(ev) == "<script>alert(1)</script>"


def test_a_missing_name_fails_with_template_line_and_event_id() -> None:
    t = templates.compile("first line\n{{ type }}\n{{ reason }}", name="alerts.j2")
    with pytest.raises(TemplateError) as caught:
        t.render(order())
    err = caught.value
    assert isinstance(err, cesdk.PermanentDeliveryError)
    assert (err.template, err.line, err.event_id) == ("alerts.j2", 3, "order-1")
    assert "'reason' is undefined" in str(err)
    assert "alerts.j2 line 3" in str(err)
    assert "order-1" in str(err)


def test_optional_names_are_written_with_default_or_is_defined() -> None:
    t = templates.compile("{{ reason | default('none') }}{% if reason is defined %}!{% endif %}")
    assert t.render(order()) == "none"


def test_a_syntax_error_is_a_config_error_naming_template_and_line() -> None:
    with pytest.raises(cesdk.ConfigError) as caught:
        templates.compile("ok\n{% if %}", name="bad.j2")
    assert caught.value.file == "bad.j2"
    assert caught.value.line == 2
    assert "syntax" in str(caught.value)


@pytest.mark.parametrize(
    "source",
    [
        "{{ event.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ data.items.append(1) }}",
        "{{ data.x * 100000000 }}",
        "{{ 10 ** 100000 }}",
        "{% for i in range(10**9) %}{% endfor %}",
    ],
)
def test_the_sandbox_refuses_hostile_templates(source: str) -> None:
    ev = order(items=[1], x="abc")
    with pytest.raises(TemplateError):
        templates.compile(source).render(ev)


def test_output_over_the_limit_is_refused() -> None:
    ev = order(x="a" * 600_000)
    with pytest.raises(TemplateError, match="more than"):
        templates.compile("{{ data.x }}{{ data.x }}").render(ev)


def test_a_callable_is_a_template_and_its_failures_are_template_errors() -> None:
    assert templates.compile(lambda ev: ev.type.upper()).render(order()) == (
        "COM.EXAMPLE.ORDER.CREATED"
    )

    def broken(ev: cesdk.CloudEvent) -> str:
        raise KeyError("nope")

    with pytest.raises(TemplateError, match="KeyError") as caught:
        templates.compile(broken).render(order())
    assert caught.value.template.endswith("broken")
    with pytest.raises(TemplateError, match="not str"):
        templates.compile(lambda ev: 3).render(order())  # type: ignore[arg-type, return-value]


def test_template_files_and_includes_beside_them(tmp_path: Path) -> None:
    (tmp_path / "part.j2").write_text("[{{ subject }}]", encoding="utf-8")
    main = tmp_path / "main.j2"
    main.write_text("{{ type }} {% include 'part.j2' %}\n", encoding="utf-8")
    t = templates.compile(main)
    assert t.name == str(main)
    assert t.render(order()) == "com.example.order.created [orders/1]"


def test_a_missing_template_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(cesdk.ConfigError, match="cannot read template file"):
        templates.compile(tmp_path / "absent.j2")


def test_a_bad_escape_or_source_is_a_config_error() -> None:
    with pytest.raises(cesdk.ConfigError, match="escape"):
        templates.compile("x", escape="xml")  # type: ignore[arg-type]
    with pytest.raises(cesdk.ConfigError, match="not int"):
        templates.compile(3)  # type: ignore[arg-type]


def test_filters() -> None:
    ev = order(at="2026-11-27T10:00:00.123456789+01:00", took=3725, when="yesterday")
    t = templates.compile(
        "{{ data.at | timeformat('%H:%M:%S') }}|{{ time | timeformat }}|"
        "{{ data.took | humanize }}|{{ data.took | humanize(1) }}|{{ data.when | timeformat }}|"
        "{{ data.at | since('2026-11-27T09:30:01Z') }}|{{ data | json(false) }}"
    )
    assert t.render(ev) == (
        "09:00:00|2026-11-27 10:00:00 UTC|1 hour 2 minutes|1 hour|yesterday|"
        '30 minutes ago|{"at":"2026-11-27T10:00:00.123456789+01:00","took":3725,"when":"yesterday"}'
    )
    assert templates.timeformat(dt.datetime(2026, 1, 1, 12), "%H", tz="Asia/Tokyo") == "21"
    assert templates.humanize(0.2) == "less than a second"
    assert templates.humanize(dt.timedelta(days=2, seconds=5)) == "2 days 5 seconds"


@pytest.mark.parametrize("data", [K8S_NEW, K8S_OLD], ids=["events.k8s.io/v1", "core/v1"])
def test_the_defaults_show_a_kubernetes_event(data: dict[str, object]) -> None:
    ev = k8s_event(data)
    fields = templates.kubernetes_fields(data)
    text = templates.default("email_text").render(ev)
    slack = templates.default("slack").render(ev)
    html = templates.default("email_html").render(ev)
    subject = templates.default("email_subject").render(ev)
    for body in (text, slack, html):
        for value in (fields["reason"], fields["kind"], fields["name"], fields["namespace"]):
            assert str(value) in body
        assert str(fields["message"]) in body
        assert f"{fields['count']}" in body
        assert "2026-11-27" in body
    assert "\n" not in subject
    assert subject.startswith(f"[{data['type']}] {data['reason']}:")
    assert templates.default("slack_header").render(ev).startswith(str(data["reason"]))


def test_the_defaults_show_any_other_event() -> None:
    ev = order()
    for name in ("slack", "email_text", "email_html"):
        body = templates.default(name).render(ev)
        for value in ("com.example.order.created", "/shop", "orders/1", "severity", "high"):
            assert value in body, (name, value)
    assert templates.default("email_subject").render(ev) == "com.example.order.created: orders/1"


def test_unknown_default_is_a_config_error_listing_the_names() -> None:
    with pytest.raises(cesdk.ConfigError, match="email_html"):
        templates.default("teams")


@settings(max_examples=200, deadline=None)
@given(note=st.text(), reason=st.text(min_size=1, max_size=40))
def test_event_text_can_never_mention_or_link_in_the_slack_default(note: str, reason: str) -> None:
    data = dict(K8S_NEW, note=note, reason=reason)
    rendered = templates.default("slack").render(k8s_event(data))
    assert "<" not in rendered
    assert ">" not in rendered


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_slack_escaping_round_trips(text: str) -> None:
    escaped = templates.escape_slack(text)
    assert "<" not in escaped
    assert ">" not in escaped
    assert escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == text
