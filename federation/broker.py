"""RabbitMQ through kombu: one durable direct exchange routing by province code to one durable queue per
province, and a dead-letter exchange and queue per province for the messages its inbox refuses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kombu import Connection, Exchange, Queue

from federation.settings import Settings

RAW = {"content_type": "application/json", "content_encoding": "binary"}  # bytes as sealed: no re-serialising


def connect(settings: Settings) -> Connection:
    # Publisher confirms: publish() returns only once the broker has the message (raises otherwise). A broker
    # that is gone fails fast (two tries): the caller's loop retries, and nothing uncommitted was marked sent.
    options = {"confirm_publish": True, "max_retries": 2, "interval_start": 0, "interval_step": 0.5}
    return Connection(settings.url, transport_options=options, connect_timeout=5)


def exchanges(settings: Settings) -> tuple[Exchange, Exchange]:
    return (
        Exchange(f"{settings.prefix}.federation", type="direct", durable=True),
        Exchange(f"{settings.prefix}.federation.dead", type="direct", durable=True),
    )


def inbox_queue(settings: Settings, province: str) -> Queue:
    return Queue(f"{settings.prefix}.{province}", exchanges(settings)[0], routing_key=province, durable=True)


def dead_queue(settings: Settings, province: str) -> Queue:
    return Queue(f"{settings.prefix}.{province}.dead", exchanges(settings)[1], routing_key=province, durable=True)


def publish(
    connection: Connection, settings: Settings, body: bytes, province: str, headers: Mapping[str, Any] | None = None
) -> None:
    """To ``province``'s inbox queue (declared here, so nothing is lost while that province never ran)."""
    queue = inbox_queue(settings, province)
    connection.Producer().publish(
        body,
        exchange=queue.exchange,
        routing_key=province,
        declare=[queue],
        delivery_mode=2,
        headers=dict(headers or {}),
        retry=False,
        **RAW,
    )


def publish_dead(connection: Connection, settings: Settings, body: bytes, reason: str) -> None:
    queue = dead_queue(settings, settings.province)
    connection.Producer().publish(
        body,
        exchange=queue.exchange,
        routing_key=settings.province,
        declare=[queue],
        delivery_mode=2,
        headers={"x-xueji-reason": reason},
        retry=False,
        **RAW,
    )


def delete_queues(settings: Settings, provinces: list[str]) -> None:
    """Tests and benches clean up after themselves."""
    with connect(settings) as connection:
        channel = connection.default_channel
        for province in provinces:
            for queue in (inbox_queue(settings, province), dead_queue(settings, province)):
                queue.bind(channel).delete()
        for exchange in exchanges(settings):
            exchange.bind(channel).delete()
