"""The inbox: take messages from the province's queue, apply each once, in order, and acknowledge after commit.

For every message, in one transaction: its id goes into ``federation_inbox`` (unique), and, when it is the next
one of its case, its effect (``engine.exchange.apply_incoming``), followed by any later messages of the case that
arrived early. After that commit the answers the cases threw are routed to the outbox and a signed receipt goes
back to the sender; only then is the broker told (ack). A message whose id is known is acknowledged and
ignored: a redelivery after a crash between commit and ack, or a relay that published twice. A message that
cannot be taken (malformed, unknown version, bad signature) is kept as a dead letter with the reason, published
to the province's dead-letter queue and acknowledged; nothing of the registry changes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kombu import Connection, Consumer
from kombu.message import Message
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import exchange
from federation import broker, envelope
from federation.settings import NATIONAL, Settings
from models.base import utcnow
from models.errors import DomainError
from models.exchange import ExchangeMessage, MessageStatus
from models.federation import CasePeer, DeadLetter, InboxMessage, InboxStatus

log = logging.getLogger(__name__)

Settled = tuple[str, str]  # a message's id and, when the case refused it, why


@dataclass
class Tally:
    applied: int = 0
    held: int = 0  # arrived before an earlier message of its case
    duplicates: int = 0
    dead: int = 0
    receipts: int = 0
    outcomes: list[str] = field(default_factory=list)


@dataclass
class Inbox:
    settings: Settings
    sessions: Callable[[], Session]
    tally: Tally = field(default_factory=Tally)
    # Tests stop the consumer here: after the commit, before the ack (the broker then redelivers).
    after_commit: Callable[[dict[str, Any]], None] = lambda _data: None

    def handle(self, messages: list[Message], connection: Connection) -> None:
        """The deliveries at hand, in one transaction (one commit, one receipt per sender, for all of them);
        each message in a savepoint of its own, so a refused one takes nothing of the others with it."""
        taken: list[tuple[Message, dict[str, Any], str]] = []
        settled: dict[str, list[Settled]] = {}
        refused: list[tuple[Message, bytes, envelope.Refused]] = []
        with self.sessions() as session:
            for message in messages:
                body: bytes = message.body if isinstance(message.body, bytes) else str(message.body).encode()
                try:
                    data = envelope.open_envelope(body, self.settings.province, self.settings.public_keys)
                    with session.begin_nested():
                        if data["kind"] == "receipt":
                            outcome, done = self._receipt(session, data), []
                        else:
                            outcome, done = self._receive(session, data)
                except envelope.Refused as exc:
                    refused.append((message, body, exc))
                    continue
                except IntegrityError:  # the same message taken by another consumer at the same time
                    self.tally.duplicates += 1
                    outcome, done = "duplicate", []
                taken.append((message, data, outcome))
                if done:
                    settled.setdefault(data["origin"], []).extend(done)
            session.commit()
        for message, body, exc in refused:
            self._dead(connection, body, exc)
            message.ack()
        for _, data, _ in taken:
            self.after_commit(data)
        if settled:
            # Before the ack: a consumer that dies here gets the messages again, as duplicates, and says it again.
            self._after_applied(connection, settled)
        for message, _, outcome in taken:
            message.ack()
            self.tally.outcomes.append(outcome)

    def _receive(self, session: Session, data: dict[str, Any]) -> tuple[str, list[Settled]]:
        known = session.scalars(select(InboxMessage).where(InboxMessage.uid == data["id"])).first()
        if known is not None:
            self.tally.duplicates += 1
            # Its receipt may be what was lost (the consumer died after the commit): say it again.
            return "duplicate", [] if known.status == InboxStatus.RECEIVED else [(known.uid, known.error)]
        national = data["origin"] == NATIONAL
        peer = None if national else session.get(CasePeer, data["correlation"], with_for_update=True)
        if peer is None and not national:
            peer = CasePeer(correlation=data["correlation"], province=data["origin"], sent_seq=0, applied_seq=0)
            session.add(peer)
        elif peer is not None and peer.province != data["origin"]:
            # Signed by a province, but about a case it has no part in: it cannot speak for the other one.
            raise envelope.Refused(f"案件 {data['correlation']} 的对方省份是 {peer.province}，不是发信的省份", data)
        row = InboxMessage(
            uid=data["id"],
            origin=data["origin"],
            name=data["name"],
            correlation=data["correlation"],
            seq=data["seq"],
            payload=data["payload"],
            sent_at=_parse_time(data["written_at"]),
            status=InboxStatus.RECEIVED,
        )
        session.add(row)
        session.flush()
        # The national centre's word (异常结束, 打回) is not one of the two provinces' numbered messages.
        applied = [self._apply(session, row)] if peer is None else self._apply_in_order(session, peer, row)
        if not applied:
            self.tally.held += 1
            return "held", []
        self.tally.applied += len(applied)
        return "applied", applied

    def _apply(self, session: Session, row: InboxMessage) -> Settled:
        try:
            with session.begin_nested():
                exchange.apply_incoming(session, name=row.name, correlation=row.correlation, payload=row.payload)
            row.status = InboxStatus.APPLIED
        except DomainError as exc:
            # The case refused it, as a local delivery would be refused (failed, the sender's case waits).
            row.status = InboxStatus.REJECTED
            row.error = exc.message[:500]
        row.applied_at = utcnow()
        return row.uid, row.error

    def _apply_in_order(self, session: Session, peer: CasePeer, row: InboxMessage | None) -> list[Settled]:
        applied = []
        while row is not None and row.seq == peer.applied_seq + 1:
            applied.append(self._apply(session, row))
            peer.applied_seq = row.seq
            row = session.scalars(
                select(InboxMessage).where(
                    InboxMessage.origin == peer.province,
                    InboxMessage.correlation == peer.correlation,
                    InboxMessage.seq == peer.applied_seq + 1,
                    InboxMessage.status == InboxStatus.RECEIVED,
                )
            ).first()
        return applied

    def _after_applied(self, connection: Connection, settled: dict[str, list[Settled]]) -> None:
        """The answers the cases threw go to the outbox; each sender learns what its messages did here."""
        with self.sessions() as session:
            exchange.deliver(session)
        for origin, done in settled.items():
            receipt = envelope.seal(
                {
                    "id": str(uuid.uuid4()),
                    "kind": "receipt",
                    "origin": self.settings.province,
                    "destination": origin,
                    "name": "receipt",
                    "correlation": "",
                    "seq": 0,
                    "payload": {
                        "applied": [uid for uid, error in done if not error],
                        "rejected": [[uid, error] for uid, error in done if error],
                    },
                    "written_at": utcnow().isoformat(),
                },
                self.settings.signing_key,
            )
            broker.publish(connection, self.settings, receipt, origin)

    def _receipt(self, session: Session, data: dict[str, Any]) -> str:
        """Applied there: confirmed; refused by the case there: failed with its reason, the request is stuck
        (F-31 1-7) and the province's 打回 page shows why."""
        payload = data["payload"]
        outcomes = {uid: "" for uid in payload["applied"] if isinstance(uid, str)}
        for item in payload.get("rejected") or []:
            if isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item):
                outcomes[item[0]] = item[1]
        for message in session.scalars(
            select(ExchangeMessage).where(
                ExchangeMessage.uid.in_(outcomes),
                ExchangeMessage.destination == data["origin"],
                ExchangeMessage.status.in_((MessageStatus.OUTBOX, MessageStatus.SENT)),
            )
        ):
            error = outcomes[message.uid or ""]
            message.status = MessageStatus.FAILED if error else MessageStatus.CONFIRMED
            message.error = error[:500]
            message.confirmed_at = utcnow()
        self.tally.receipts += 1
        return "receipt"

    def _dead(self, connection: Connection, body: bytes, refused: envelope.Refused) -> None:
        log.warning("message refused into the dead-letter queue: %s", refused.reason)
        with self.sessions() as session:
            session.add(
                DeadLetter(
                    uid=refused.uid,
                    origin=refused.origin,
                    reason=refused.reason[:500],
                    body=body.decode("utf-8", errors="replace"),
                )
            )
            session.commit()
        broker.publish_dead(connection, self.settings, body, refused.reason)
        self.tally.dead += 1
        self.tally.outcomes.append("dead")

    def drain(self, connection: Connection, *, idle: float = 1.0, limit: int | None = None, batch: int = 100) -> Tally:
        """Consume until nothing arrives for ``idle`` seconds (or ``limit`` messages were handled), handling what
        has arrived together, up to ``batch`` messages a transaction."""
        queue = broker.inbox_queue(self.settings, self.settings.province)
        handled = len(self.tally.outcomes)
        arrived: list[Message] = []
        # Publishing (receipts, dead letters) waits for the broker's confirm; on the consuming connection that
        # wait would take the next delivery inside this one's handler: a connection of its own.
        with (
            connection.clone() as publisher,
            Consumer(connection, queues=[queue], on_message=arrived.append, prefetch_count=batch),
        ):
            while limit is None or len(self.tally.outcomes) - handled < limit:
                try:
                    connection.drain_events(timeout=idle)
                    while len(arrived) < batch:  # what else is already here, without waiting for more
                        connection.drain_events(timeout=0.001)
                except TimeoutError:
                    pass
                if not arrived:
                    break
                self.handle(arrived, publisher)
                arrived.clear()
        return self.tally


def retry_dead_letter(session: Session, settings: Settings, connection: Connection, letter: DeadLetter) -> None:
    """Put a dead letter back into this province's queue as it was received (after the cause was fixed, e.g.
    the sender's public key configured); it is checked again like any message."""
    broker.publish(connection, settings, letter.body.encode(), settings.province)
    letter.retried_at = utcnow()
    session.commit()


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
