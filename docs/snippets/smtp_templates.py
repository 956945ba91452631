import asyncio

import cesdk
from cesdk_smtp import SmtpSink
from cesdk_smtp.testing import SmtpServer


async def main() -> None:
    async with SmtpServer() as server:
        sink = SmtpSink(
            server.host,
            server.port,
            tls="none",  # a plain local relay
            from_addr="alerts@example.com",
            to=["oncall@example.com"],
            # Jinja2 (cesdk.templates); the HTML one escapes every value.
            subject_template="[{{ data.severity | upper }}] {{ data.title | truncate(60) }}",
            text_template="{{ data.title }}\n\n{{ data.details }}\n\nSince {{ time | timeformat }}",
            html_template="<h2>{{ data.title }}</h2><p>{{ data.details }}</p>",
            # Or: "file:templates/alert.html.j2", a pathlib.Path, a callable
            # (event) -> str; html_template=False sends text only.
        )
        event = cesdk.CloudEvent(
            type="com.example.alert",
            source="/monitoring",
            time="2024-05-01T10:00:00Z",
            data={"severity": "crit", "title": "Disk <90%> full", "details": "Größe: 98 %"},
        )
        async with sink:
            await sink.send(event)
        [mail] = await server.wait_for(1)
        print(mail.subject)
        assert mail.subject == "[CRIT] Disk <90%> full"
        assert mail.html == "<h2>Disk &lt;90%&gt; full</h2><p>Größe: 98 %</p>\n"
        assert "Since 2024-05-01 10:00:00 UTC" in mail.text
        assert mail.raw.isascii()  # UTF-8 travels encoded (RFC 2047, quoted-printable)


if __name__ == "__main__":
    asyncio.run(main())
