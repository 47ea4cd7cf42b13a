"""The client's reading of Server-Sent Events: fields, multi-line data, comments, retry."""

from __future__ import annotations

from plangate_client._sse import Message, Parser


def feed(parser: Parser, text: str) -> list[Message]:
    out = []
    for line in text.split("\n"):
        message = parser.feed(line)
        if message is not None:
            out.append(message)
    return out


def test_it_reads_messages_and_skips_comments() -> None:
    parser = Parser()
    text = 'retry: 2500\n\nid: 7\nevent: plan.approved\ndata: {"a":\ndata: 1}\n\n: keep-alive\n\n'
    text += "event: end\ndata: {}\n\n"
    messages = feed(parser, text)
    assert messages == [
        Message(event="plan.approved", data='{"a":\n1}', id="7"),
        Message(event="end", data="{}", id=None),
    ]
    assert parser.retry_seconds == 2.5
