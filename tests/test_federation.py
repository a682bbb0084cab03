"""Two provinces deployed apart (issue 15): two databases, one per province, and the real RabbitMQ between them.

贵州 (520000) and 北京 (110000) each run on a database of their own; their sessions carry the province code, so
the engine leaves cross-province messages in the outbox; the relay publishes them (publisher confirms) and the
other province's inbox applies them once, in order, and refuses malformed, unknown-version and forged ones into
the dead-letter queue."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from amqp.exceptions import AMQPError
from kombu import Connection
from kombu.exceptions import KombuError
from sqlalchemy import func, make_url, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import MultiDict

import engine as wf
import handlers
from conftest import PASSWORD, CaseDriver, own_database
from federation import broker, envelope, relay
from federation.demo import keep_own_province
from federation.inbox import Inbox, retry_dead_letter
from federation.settings import NATIONAL, Settings, new_key, peer_keys, private_key
from forms import FORMS
from models import crypto
from models.errors import DomainError
from models.exchange import ExchangeMessage, MessageStatus
from models.federation import DeadLetter, InboxMessage, InboxStatus
from models.org import OrgUnit, SchoolClass
from models.student import Student, StudentStatus, has_national_id
from models.user import User
from models.workflow import CaseStatus, InboxTask, InstanceEvent, ProcessInstance, TaskStatus
from webapp import create_app
from webapp.config import ROOT
from webapp.transfers import CROSS_PROVINCE_STATES

DATA = Path(__file__).resolve().parent / "data"
GUIZHOU, BEIJING = "520000", "110000"
BROKER_URL = os.environ.get("XUEJI_TEST_FEDERATION_URL", "amqp://guest:guest@127.0.0.1:5672//")
PREFIX = f"xueji-test-{os.getpid()}"


def _broker_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=2):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not _broker_reachable() and "XUEJI_TEST_FEDERATION_URL" not in os.environ,
    reason="RabbitMQ is not reachable on 127.0.0.1:5672 (.ci/run starts it; or set XUEJI_TEST_FEDERATION_URL)",
)

KEYS = {GUIZHOU: new_key(), BEIJING: new_key(), NATIONAL: new_key()}
PEERS = ",".join(f"{code}={public}" for code, (_, public) in KEYS.items())


def settings_of(code: str, url: str = BROKER_URL, prefix: str = PREFIX) -> Settings:
    return Settings(
        province=code,
        url=url,
        signing_key=private_key(KEYS[code][0]),
        public_keys=peer_keys(PEERS),
        prefix=prefix,
    )


class Province:
    """One deployment: its database, its settings, its inbox."""

    def __init__(self, code: str, db_engine: Any, url: str = BROKER_URL, prefix: str = PREFIX) -> None:
        self.code = code
        self.settings = settings_of(code, url, prefix)
        self.sessions: Callable[[], Session] = sessionmaker(bind=db_engine, info={"province_code": code})
        self.inbox = Inbox(self.settings, self.sessions)

    def relay(self) -> int:
        with self.sessions() as session, broker.connect(self.settings) as connection:
            return relay.publish_outbox(session, self.settings, connection)

    def consume(self, idle: float = 0.3, **kwargs: Any) -> None:
        with broker.connect(self.settings) as connection:
            self.inbox.drain(connection, idle=idle, **kwargs)

    def count(self, model: Any, *where: Any) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture(scope="module")
def provinces(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Province, Province]]:
    tmp = tmp_path_factory.mktemp("federation")
    with own_database("fed_a", tmp) as a_db, own_database("fed_b", tmp) as b_db:
        pair = Province(GUIZHOU, a_db), Province(BEIJING, b_db)
        for province in pair:
            with province.sessions() as session:
                for name in ("exchange_ping.bpmn", "exchange_pong.bpmn", "federation_steps.bpmn"):
                    wf.publish(session, (DATA / name).read_bytes(), filename=name)
                keep_own_province(session, province.code)
        yield pair
    broker.delete_queues(settings_of(GUIZHOU), [GUIZHOU, BEIJING, NATIONAL])


def start_ping(guizhou: Province) -> ProcessInstance:
    """A case of 贵州 whose message goes to 北京 (the ``to_org_id`` of 北京 in 贵州's database)."""
    with guizhou.sessions() as session:
        registrar = session.scalars(select(User).where(User.username == "nanming-xx-registrar")).one()
        student = session.scalars(
            select(Student)
            .where(
                Student.school_id == registrar.org_id,
                Student.open_case_id.is_(None),
                Student.status == StudentStatus.IN_SCHOOL,
            )
            .order_by(Student.id)
        ).first()
        beijing = session.scalars(select(OrgUnit).where(OrgUnit.division_code == BEIJING)).one()
        case = wf.start(
            session, "exchange_ping", student_id=student.id, actor=registrar, data={"beijing_id": beijing.id}
        )
        session.refresh(case)
        session.expunge(case)
        return case


def student_name(province: Province, case: ProcessInstance) -> str:
    with province.sessions() as session:
        return session.get_one(Student, case.student_id).name


def cases(province: Province, correlation: str) -> list[ProcessInstance]:
    with province.sessions() as session:
        found = session.scalars(
            select(ProcessInstance).where(ProcessInstance.correlation_key == correlation).order_by(ProcessInstance.id)
        ).all()
        session.expunge_all()
        return list(found)


def outbox(province: Province, correlation: str) -> list[ExchangeMessage]:
    with province.sessions() as session:
        found = session.scalars(
            select(ExchangeMessage)
            .where(ExchangeMessage.correlation == correlation, ExchangeMessage.sender_instance_id.is_not(None))
            .order_by(ExchangeMessage.id)
        ).all()
        session.expunge_all()
        return list(found)


def test_a_message_crosses_to_the_other_province_and_the_answer_comes_back(provinces):
    guizhou, beijing = provinces
    ping = start_ping(guizhou)
    [sent] = outbox(guizhou, ping.correlation_key)
    assert (sent.status, sent.destination, sent.seq) == (MessageStatus.OUTBOX, BEIJING, 1)
    assert cases(beijing, ping.correlation_key) == []  # nothing crossed without the broker
    assert guizhou.relay() >= 1
    beijing.consume()
    [pong] = cases(beijing, ping.correlation_key)
    assert (pong.process_key, pong.status) == ("exchange_pong", CaseStatus.COMPLETED)
    with beijing.sessions() as session:
        own = session.scalars(select(OrgUnit).where(OrgUnit.division_code == BEIJING)).one()
        assert pong.org_id == own.id  # 北京's id in 北京's database, not the id 贵州's database gave it
    [answer] = outbox(beijing, ping.correlation_key)
    assert (answer.status, answer.destination, answer.payload) == (
        MessageStatus.OUTBOX,
        GUIZHOU,
        {"echo": student_name(guizhou, ping)},
    )
    beijing.relay()
    guizhou.consume()
    [done] = cases(guizhou, ping.correlation_key)
    assert (done.state_label, done.status) == ("已应答", CaseStatus.COMPLETED)
    [sent] = outbox(guizhou, ping.correlation_key)
    assert sent.status == MessageStatus.CONFIRMED  # 北京's receipt came back
    beijing.consume()
    [answer] = outbox(beijing, ping.correlation_key)
    assert answer.status == MessageStatus.CONFIRMED


def test_a_message_published_twice_applies_once(provinces):
    guizhou, beijing = provinces
    ping = start_ping(guizhou)
    guizhou.relay()
    # The relay crashed after the broker confirmed, before it marked the row sent: it publishes it again.
    with guizhou.sessions() as session:
        row = session.scalars(select(ExchangeMessage).where(ExchangeMessage.correlation == ping.correlation_key)).one()
        row.status = MessageStatus.OUTBOX
        session.commit()
    assert guizhou.relay() == 1
    before = beijing.inbox.tally.duplicates
    beijing.consume()
    assert len(cases(beijing, ping.correlation_key)) == 1
    assert beijing.inbox.tally.duplicates == before + 1
    assert beijing.count(InboxMessage, InboxMessage.correlation == ping.correlation_key) == 1


class Killed(BaseException):
    """The consumer dies: not an Exception, nothing in the inbox catches it."""


def test_a_consumer_killed_after_commit_before_ack_ignores_the_redelivery(provinces):
    guizhou, beijing = provinces
    ping = start_ping(guizhou)
    guizhou.relay()

    def die(_data: dict[str, Any]) -> None:
        raise Killed()

    dying = Inbox(beijing.settings, beijing.sessions, after_commit=die)
    connection = Connection(BROKER_URL)
    with pytest.raises(Killed):
        dying.drain(connection)
    connection.release()  # the channel closes without an ack: RabbitMQ puts the message back
    assert len(cases(beijing, ping.correlation_key)) == 1  # the effect was committed
    before = beijing.inbox.tally.duplicates
    beijing.consume()
    assert beijing.inbox.tally.duplicates == before + 1
    assert len(cases(beijing, ping.correlation_key)) == 1
    assert beijing.count(InboxMessage, InboxMessage.correlation == ping.correlation_key) == 1


def publish_raw(sender: str, body: bytes, to: str) -> None:
    with broker.connect(settings_of(sender)) as connection:
        broker.publish(connection, settings_of(sender), body, to)


def sealed(sender: str, name: str, correlation: str, seq: int, payload: dict[str, Any], **changes: Any) -> bytes:
    fields = {
        "id": str(uuid.uuid4()),
        "kind": "message",
        "origin": sender,
        "destination": BEIJING,
        "name": name,
        "correlation": correlation,
        "seq": seq,
        "payload": payload,
        "written_at": "2026-12-07T10:00:00+00:00",
    }
    return envelope.seal({**fields, **changes}, settings_of(sender).signing_key)


def test_messages_out_of_order_are_applied_in_order(provinces):
    guizhou, beijing = provinces
    correlation = f"fed-order-{uuid.uuid4().hex[:8]}"
    with guizhou.sessions() as session:
        beijing_id = session.scalars(select(OrgUnit.id).where(OrgUnit.division_code == BEIJING)).one()
    # The second message of the case overtakes the first (e.g. the first was republished after a relay crash).
    publish_raw(GUIZHOU, sealed(GUIZHOU, "fed_two", correlation, 2, {"state": "第二条"}), BEIJING)
    beijing.consume()
    assert cases(beijing, correlation) == []  # kept, not applied, not lost
    assert (
        beijing.count(
            InboxMessage, InboxMessage.correlation == correlation, InboxMessage.status == InboxStatus.RECEIVED
        )
        == 1
    )
    publish_raw(GUIZHOU, sealed(GUIZHOU, "fed_one", correlation, 1, {"to_org_id": beijing_id}), BEIJING)
    beijing.consume()
    [case] = cases(beijing, correlation)
    assert (case.state_label, case.status) == ("已收到第二条", CaseStatus.COMPLETED)
    assert (
        beijing.count(InboxMessage, InboxMessage.correlation == correlation, InboxMessage.status == InboxStatus.APPLIED)
        == 2
    )


def registry_size(province: Province) -> tuple[int, int, int]:
    return (
        province.count(ProcessInstance),
        province.count(Student),
        province.count(InboxMessage),
    )


def test_forged_unknown_version_and_malformed_messages_go_to_the_dead_letter_queue(provinces):
    guizhou, beijing = provinces
    correlation = f"fed-dead-{uuid.uuid4().hex[:8]}"
    before = registry_size(beijing)
    letters_before = beijing.count(DeadLetter)
    forged = sealed(GUIZHOU, "fed_one", correlation, 1, {"to_org_id": 1})
    # 北京 itself (or anyone holding another key) signs a message that claims to come from 贵州
    forged = envelope.seal({**_fields_of(forged)}, private_key(KEYS[BEIJING][0]))
    unknown = _resigned(sealed(GUIZHOU, "fed_one", correlation, 1, {"to_org_id": 1}), v=2)
    for body in (forged, unknown, b"{not json", b'{"v": 1}'):
        publish_raw(GUIZHOU, body, BEIJING)
    beijing.consume()
    assert registry_size(beijing) == before  # nothing of the registry changed
    with beijing.sessions() as session:
        reasons = session.scalars(select(DeadLetter.reason).where(DeadLetter.id > 0).order_by(DeadLetter.id)).all()
    new = reasons[letters_before:]
    assert len(new) == 4
    assert new[0].startswith("签名无效")
    assert new[1].startswith("未知的消息版本：2")
    assert new[2] == "消息格式错误：不是有效的 JSON"
    assert new[3].startswith("消息格式错误：字段 id")
    # The broker's dead-letter queue holds them with the reason as a header.
    with broker.connect(beijing.settings) as connection:
        queue = broker.dead_queue(beijing.settings, BEIJING).bind(connection.default_channel)
        headers = []
        while (message := queue.get(no_ack=True)) is not None:
            headers.append(message.headers["x-xueji-reason"])
    assert headers[-4:] == new


def test_a_payload_that_does_not_fit_its_message_schema_goes_to_the_dead_letter_queue(provinces):
    """Signed correctly by 贵州, of a known message name, but not what version 1 of that message carries."""
    guizhou, beijing = provinces
    correlation = f"fed-schema-{uuid.uuid4().hex[:8]}"
    before = registry_size(beijing)
    letters_before = beijing.count(DeadLetter)
    request = {"to_org_id": 1, "national_student_id": "G110101201001010000", "student_name": "王小明"}
    for name, payload in (
        ("xp_request", {**request, "student_name": None}),
        ("xp_status", {"state": 5}),
        ("xp_request", {**request, "grade": "三年级"}),
    ):
        publish_raw(GUIZHOU, sealed(GUIZHOU, name, correlation, 1, payload), BEIJING)
    beijing.consume()
    assert registry_size(beijing) == before
    with beijing.sessions() as session:
        reasons = session.scalars(select(DeadLetter.reason).order_by(DeadLetter.id)).all()[letters_before:]
    assert reasons == [
        "消息内容不符合 xp_request（版本 1）的格式：缺少字段 student_name",
        "消息内容不符合 xp_status（版本 1）的格式：字段 state 的类型不对",
        "消息内容不符合 xp_request（版本 1）的格式：多余的字段 grade",
    ]


def test_a_dead_letter_retried_after_the_key_is_configured_is_applied(provinces):
    guizhou, beijing = provinces
    correlation = f"fed-retry-{uuid.uuid4().hex[:8]}"
    with guizhou.sessions() as session:
        beijing_id = session.scalars(select(OrgUnit.id).where(OrgUnit.division_code == BEIJING)).one()
    keyless = Inbox(Settings(BEIJING, BROKER_URL, private_key(KEYS[BEIJING][0]), {}, PREFIX), beijing.sessions)
    publish_raw(GUIZHOU, sealed(GUIZHOU, "fed_one", correlation, 1, {"to_org_id": beijing_id}), BEIJING)
    with broker.connect(beijing.settings) as connection:
        keyless.drain(connection)
    assert cases(beijing, correlation) == []
    with beijing.sessions() as session, broker.connect(beijing.settings) as connection:
        letter = session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc())).first()
        assert letter.reason == f"没有配置省份 {GUIZHOU} 的公钥，不能核验签名"
        retry_dead_letter(session, beijing.settings, connection, letter)
    beijing.consume()
    [case] = cases(beijing, correlation)
    assert case.state_label == "已收到第一条"


def _fields_of(body: bytes) -> dict[str, Any]:
    import json

    data = json.loads(body)
    data.pop("sig")
    data.pop("v")
    return data


def _resigned(body: bytes, **changes: Any) -> bytes:
    """A message correctly signed by 贵州 but changed (e.g. another schema version)."""
    import base64
    import json

    data = {**json.loads(body), **changes}
    data["sig"] = base64.b64encode(settings_of(GUIZHOU).signing_key.sign(envelope.canonical(data))).decode()
    return json.dumps(data).encode()


def test_the_operator_page_shows_the_exchange_and_retries_a_dead_letter(provinces, tmp_path):
    guizhou, beijing = provinces
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "INSTANCE_DIR": tmp_path / "instance",
            "DB_ENGINE": beijing.sessions.kw["bind"],
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "PROVINCE_CODE": BEIJING,
            "FEDERATION_URL": BROKER_URL,
            "FEDERATION_KEY": KEYS[BEIJING][0],
            "FEDERATION_PEERS": PEERS,
            "FEDERATION_PREFIX": PREFIX,
        }
    )
    publish_raw(GUIZHOU, b"{not json", BEIJING)
    beijing.consume()
    client = app.test_client()
    assert client.post("/login", data={"username": "beijing-province", "password": PASSWORD}).status_code == 302
    page = client.get("/federation/").get_data(as_text=True)
    assert "消息格式错误：不是有效的 JSON" in page
    assert "对方已生效" in page and "已生效" in page and "最早一条未发送消息已等待" in page
    with beijing.sessions() as session:
        letter = session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc())).first()
    response = client.post("/federation/retry", data={"letter_id": letter.id})
    assert response.status_code == 302
    with beijing.sessions() as session:
        assert session.get(DeadLetter, letter.id).retried_at is not None
    beijing.consume()  # checked again: still malformed, a new dead letter
    with beijing.sessions() as session:
        newest = session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc())).first()
        assert (newest.id > letter.id, newest.reason) == (True, letter.reason)


class BrokerProxy:
    """A TCP forwarder between the provinces and RabbitMQ, started by the tests. ``cut()`` closes every connection
    through it and refuses new ones until ``restore()``: to both provinces the broker went away and came back (the
    shared RabbitMQ itself is never restarted: other test runs use it)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.cuts = 0
        self.live: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.live |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                self._close(end)

    def _close(self, end: socket.socket) -> None:
        with self.lock:
            self.live.discard(end)
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        end.close()

    def cut(self) -> None:
        self.up = False
        self.cuts += 1
        with self.lock:
            ends = list(self.live)
        for end in ends:
            self._close(end)

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.listener.close()
        self.cut()


BROKEN = (OSError, KombuError, AMQPError)  # what a client sees when the broker goes away under it


@pytest.fixture(scope="module")
def proxy() -> Iterator[BrokerProxy]:
    target = make_url(BROKER_URL.replace("amqp://", "postgresql://", 1))  # host and port, parsed
    running = BrokerProxy((target.host or "127.0.0.1", target.port or 5672))
    yield running
    running.close()


@dataclass
class Faults:
    """The faults of one scenario, each fired once at the n-th occasion it could: ``relay-cut <code>`` the broker
    goes away as that province's relay starts publishing; ``kill <code>`` that province's consumer dies after its
    commit, before its ack; ``cut <code>`` the broker goes away after that commit, before the ack. Always: every
    message is published twice (the first copy by a relay that died before marking it sent) and the waiting
    messages newest first (so a case's later messages overtake the earlier ones)."""

    pending: dict[str, int]

    def fire(self, name: str) -> bool:
        if name not in self.pending:
            return False
        self.pending[name] -= 1
        if self.pending[name] > 0:
            return False
        del self.pending[name]
        return True


def faults_for(*codes: str, at: int = 2) -> Faults:
    return Faults({f"{fault} {code}": at for code in codes for fault in ("relay-cut", "kill", "cut")})


def chaotic_relay(side: Province, proxy: BrokerProxy, faults: Faults) -> int:
    with side.sessions() as session:
        waiting = session.scalars(
            select(ExchangeMessage)
            .where(ExchangeMessage.status == MessageStatus.OUTBOX)
            .order_by(ExchangeMessage.id.desc())
        ).all()
        bodies = [(relay.sealed(side.settings, message), message.destination) for message in waiting]
    if not bodies:
        return 0
    with broker.connect(side.settings) as connection:
        for body, destination in bodies:
            broker.publish(connection, side.settings, body, destination)
    if faults.fire(f"relay-cut {side.code}"):
        with side.sessions() as session, broker.connect(side.settings) as connection:
            connection.ensure_connection()
            proxy.cut()
            with pytest.raises(BROKEN):
                relay.publish_outbox(session, side.settings, connection)
        proxy.restore()
        assert side.count(ExchangeMessage, ExchangeMessage.status == MessageStatus.OUTBOX) == len(bodies)
    return len(bodies) + side.relay()


def queued(side: Province) -> int:
    with broker.connect(side.settings) as connection:
        queue = broker.inbox_queue(side.settings, side.code).bind(connection.default_channel)
        return queue.queue_declare().message_count


def chaotic_consume(side: Province, proxy: BrokerProxy, faults: Faults) -> int:
    before = len(side.inbox.tally.outcomes)
    moved = 0
    if queued(side):
        if faults.fire(f"kill {side.code}"):
            dying = Inbox(side.settings, side.sessions, after_commit=die)
            connection = Connection(side.settings.url)
            with pytest.raises(Killed):
                dying.drain(connection, idle=0.1)
            connection.release()  # the channel closes without an ack: RabbitMQ puts the message back
            moved += 1
        if queued(side) and faults.fire(f"cut {side.code}"):
            cutting = Inbox(side.settings, side.sessions, after_commit=lambda _data: proxy.cut())
            with pytest.raises(BROKEN), broker.connect(side.settings) as connection:
                cutting.drain(connection, idle=0.1)
            proxy.restore()
            moved += 1
    side.consume(idle=0.1)
    return moved + len(side.inbox.tally.outcomes) - before


def die(_data: dict[str, Any]) -> None:
    raise Killed()


def chaotic_exchange(sides: tuple[Province, ...], proxy: BrokerProxy, faults: Faults, *readers: Session) -> None:
    """Relay and consume on both sides, through the faults, until nothing moves. ``readers`` (the tests' own
    sessions) end their read transactions first, and so see what the exchange committed."""
    for reader in readers:
        reader.commit()
    for _ in range(12):
        moved = sum(chaotic_relay(side, proxy, faults) for side in sides)
        moved += sum(chaotic_consume(side, proxy, faults) for side in sides)
        # At rest only when nothing is left on the broker either (a short idle wait may have missed a delivery).
        if not moved and not sum(queued(side) for side in sides):
            for reader in readers:
                reader.commit()
            return
    raise AssertionError("the exchange did not come to rest")


@pytest.fixture
def through_proxy(provinces, proxy) -> tuple[Province, Province]:
    """The two deployments again, talking to the broker only through the proxy."""
    return tuple(Province(side.code, side.sessions.kw["bind"], proxy.url()) for side in provinces)


# (school registrar, county officer) of the school that receives and of the school that sends, per province
RECEIVING = {
    GUIZHOU: ("nanming-xx-registrar", "nanming-county"),
    BEIJING: ("dongcheng-xx-registrar", "dongcheng-county"),
}
SENDING = {
    BEIJING: ("dongcheng-xx-registrar", "dongcheng-county"),
    GUIZHOU: ("yunyan-xx-registrar", "yunyan-county"),
}
VERBATIM = set(CROSS_PROVINCE_STATES)  # the 19 of domain.md F-31, each 通过/不通过 pair as two


@dataclass
class Transfer:
    receiving: Province
    sending: Province
    rs: Session  # the receiving province's database
    ss: Session  # the sending province's
    case: CaseDriver  # the receiving side
    student_id: int  # the sending province's student
    number: str
    name: str

    def user(self, session: Session, username: str) -> User:
        return session.scalars(select(User).where(User.username == username)).one()

    def out(self) -> CaseDriver:
        [out_case] = self.ss.scalars(
            select(ProcessInstance).where(ProcessInstance.correlation_key == self.case.case.correlation_key)
        ).all()
        return CaseDriver(self.ss, out_case)

    def submit_out(self, step: str, reviewer: str, **fields: str) -> None:
        self.out().submit(step, by=self.user(self.ss, reviewer), **fields)

    def close(self) -> None:
        self.rs.close()
        self.ss.close()


def apply_for_transfer(receiving: Province, sending: Province) -> Transfer:
    """The receiving school applies for a student of the sending province and its county passes: the request
    waits in the receiving province's outbox (转学申请已发往转出省)."""
    school, county = RECEIVING[receiving.code]
    with sending.sessions() as ss:
        school_id = ss.scalars(select(User.org_id).where(User.username == SENDING[sending.code][0])).one()
        student = ss.scalars(
            select(Student)
            .where(
                Student.school_id == school_id,
                Student.open_case_id.is_(None),
                Student.status == StudentStatus.IN_SCHOOL,
            )
            .order_by(Student.id.desc())
        ).first()
        number, name, student_id = student.national_student_id, student.name, student.id
    rs = receiving.sessions()
    registrar = rs.scalars(select(User).where(User.username == school)).one()
    sending_id = rs.scalars(select(OrgUnit.id).where(OrgUnit.division_code == sending.code)).one()
    first_class = rs.scalars(select(SchoolClass).where(SchoolClass.cohort.has(school_id=registrar.org_id))).first()
    fields = {
        "from_province_id": str(sending_id),
        "student_name": name,
        "national_student_id": number,
        "to_class_id": str(first_class.id),
        "reason": "随父母工作调动",
    }
    form = FORMS[wf.start_form_key(rs, "transfer_cross_province_in")](formdata=MultiDict(fields))
    assert form.validate(), form.errors
    started = wf.start(
        rs,
        "transfer_cross_province_in",
        student_id=None,
        actor=registrar,
        data=form.to_task_data(),
        display=form.display_lines(),
        to_school_id=registrar.org_id,
    )
    case = CaseDriver(rs, started)
    case.submit("to_county_review", by=rs.scalars(select(User).where(User.username == county)).one(), decision="通过")
    assert case.state == "转学申请已发往转出省"  # nothing crossed yet: the message waits in the outbox
    return Transfer(receiving, sending, rs, sending.sessions(), case, student_id, number, name)


def assert_exactly_one_effect(t: Transfer, *, sending_cases: int = 1, unanswered: frozenset[str] = frozenset()) -> None:
    """Whatever was delivered twice, redelivered or reordered: one case on each side, every message settled once
    (nothing kept waiting for an earlier one), every message sent answered by a receipt (but the ``unanswered``
    ones: the other province refused them unread, into its dead-letter queue), and no state but the verbatim
    ones."""
    correlation = t.case.case.correlation_key
    assert len(cases(t.receiving, correlation)) == 1
    assert len(cases(t.sending, correlation)) == sending_cases
    for side in (t.receiving, t.sending):
        with side.sessions() as session:
            inbox = session.execute(
                select(InboxMessage.uid, InboxMessage.status).where(InboxMessage.correlation == correlation)
            ).all()
            sent = dict(
                session.execute(
                    select(ExchangeMessage.uid, ExchangeMessage.status).where(
                        ExchangeMessage.correlation == correlation, ExchangeMessage.sender_instance_id.is_not(None)
                    )
                ).all()
            )
            shown = session.scalars(
                select(InstanceEvent.state_label)
                .join(ProcessInstance)
                .where(ProcessInstance.correlation_key == correlation, InstanceEvent.state_label != "")
            ).all()
        assert InboxStatus.RECEIVED not in {status for _, status in inbox}
        assert {sent[uid] for uid in unanswered if uid in sent} <= {MessageStatus.SENT}
        assert {status for uid, status in sent.items() if uid not in unanswered} <= {
            MessageStatus.CONFIRMED,
            MessageStatus.FAILED,
        }
        assert set(shown) <= VERBATIM | {"待转出区县审核"}  # the sending side's own step between its reviews


class InTestProcess:
    """Both provinces' relay and inbox run in the test process, through ``faults`` (``chaotic_exchange``)."""

    def __init__(self, sides: tuple[Province, Province], proxy: BrokerProxy, faults: Faults) -> None:
        self.sides, self.proxy, self.faults = sides, proxy, faults

    def around(self, action: Callable[[], Any]) -> Any:
        """A user's step (a web request in one province's application); nothing crosses until ``settle``."""
        return action()

    def settle(self, t: Transfer, _state: str, _unanswered: frozenset[str] = frozenset()) -> None:
        chaotic_exchange(self.sides, self.proxy, self.faults, t.rs, t.ss)

    def stuck(self, receiving: Province, sending: Province) -> tuple[Transfer, frozenset[str]]:
        return stuck_request(receiving, sending, self.proxy, self.faults), frozenset()

    def national(self, t: Transfer, action: str, reason: str) -> None:
        national_says(t, self.proxy, self.faults, action, reason)

    def done(self, _t: Transfer, *, reordered: bool = True) -> None:
        assert self.faults.pending == {}  # every fault happened


def walk_transfer(receiving: Province, sending: Province, x: InTestProcess | InProcesses) -> None:
    """跨省转学 (F-31, F-32) between two deployments through every fault: the request crosses, the sending school
    and county pass (their three answers cross newest first), the archive is pulled, the record arrives."""
    t = x.around(lambda: apply_for_transfer(receiving, sending))
    x.settle(t, "等待转出学校审核")
    assert t.case.state == "等待转出学校审核"
    out = t.out()
    assert out.case.student_id == t.student_id
    school, county = SENDING[sending.code]

    def both_reviews() -> None:
        t.submit_out("school_review", school, decision="通过")
        t.submit_out("county_review", county, decision="通过")

    x.around(both_reviews)
    x.settle(t, "等待转入学校调档")
    assert (t.case.state, out.state) == ("等待转入学校调档", "等待转入学校调档")
    x.around(lambda: t.case.submit("pull", by=t.user(t.rs, RECEIVING[receiving.code][0]), action="调档"))
    x.settle(t, "学籍调档完毕")
    x.done(t)
    assert (t.case.state, out.state) == ("学籍调档完毕", "学籍调档完毕")
    assert t.case.states() == [
        "转入学校审核通过",
        "转学申请已发往转出省",
        "等待转出学校审核",
        "转出学校审核通过",
        "转出区县审核通过",
        "等待转入学校调档",
        "调档申请已发往转出省",
        "学籍调档完毕",
    ]
    assert_exactly_one_effect(t)
    t.rs.expire_all()
    t.ss.expire_all()
    arrived = t.rs.scalars(
        select(Student).where(has_national_id(t.number), Student.status == StudentStatus.IN_SCHOOL)
    ).all()
    assert [(s.id, s.status) for s in arrived] == [(t.case.case.student_id, StudentStatus.IN_SCHOOL)]
    assert arrived[0].school_id == t.user(t.rs, RECEIVING[receiving.code][0]).org_id
    assert t.ss.get_one(Student, t.student_id).status == StudentStatus.TRANSFERRED_OUT
    t.close()


def revoke_before_the_request_crossed(guizhou: Province, beijing: Province, x: InTestProcess | InProcesses) -> None:
    """转学撤销 (F-31): the receiving school revokes while its request is still in the outbox; request and revoke
    cross newest first, the sending province applies them in order (the case starts, then is revoked) and its two
    answers cross newest first too; both cases end in 转学撤销完毕 and the student is free again."""

    def apply_and_revoke() -> Transfer:
        t = apply_for_transfer(guizhou, beijing)
        t.case.submit(
            "await_sending",
            by=t.user(t.rs, RECEIVING[GUIZHOU][0]),
            action="撤销转学申请",
            revoke_reason="家长改变主意",
        )
        assert t.case.state == "转学撤销申请已发往转出省"
        return t

    t = x.around(apply_and_revoke)
    x.settle(t, "转学撤销完毕")
    x.done(t)
    out = t.out()
    assert (t.case.state, out.state) == ("转学撤销完毕", "转学撤销完毕")
    assert t.case.states() == ["转入学校审核通过", "转学申请已发往转出省", "转学撤销申请已发往转出省", "转学撤销完毕"]
    assert t.case.case.status == out.case.status == CaseStatus.COMPLETED
    assert t.case.seats() == [] and out.seats() == []
    assert_exactly_one_effect(t)
    t.ss.expire_all()
    assert t.ss.get_one(Student, t.student_id).open_case_id is None
    t.close()


def test_a_transfer_from_beijing_to_guizhou_through_every_fault(through_proxy, proxy, clock):
    guizhou, beijing = through_proxy
    walk_transfer(guizhou, beijing, InTestProcess(through_proxy, proxy, faults_for(GUIZHOU, BEIJING)))


def test_a_transfer_from_guizhou_to_beijing_through_every_fault(through_proxy, proxy, clock):
    guizhou, beijing = through_proxy
    walk_transfer(beijing, guizhou, InTestProcess(through_proxy, proxy, faults_for(GUIZHOU, BEIJING)))


def test_a_revoke_sent_before_the_request_crossed_overtakes_it_and_ends_both_cases(through_proxy, proxy, clock):
    guizhou, beijing = through_proxy
    revoke_before_the_request_crossed(
        guizhou, beijing, InTestProcess(through_proxy, proxy, faults_for(GUIZHOU, BEIJING, at=1))
    )


def stuck_request(receiving: Province, sending: Province, proxy: BrokerProxy, faults: Faults) -> Transfer:
    """A request the sending province could not take (its check failed with an error): the receiving case stays
    转学申请已发往转出省, its message comes back failed with the reason (F-31 1-7)."""

    def broken(_ctx: Any, **_kwargs: Any) -> None:
        raise DomainError("转出省系统异常：附件无法读取")

    t = apply_for_transfer(receiving, sending)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(handlers.HANDLERS, "xp.validate_request", broken)
        chaotic_exchange((receiving, sending), proxy, faults, t.rs, t.ss)
    assert t.case.state == "转学申请已发往转出省"
    [request] = outbox(receiving, t.case.case.correlation_key)
    assert (request.status, request.error) == (MessageStatus.FAILED, "转出省系统异常：附件无法读取")
    assert cases(sending, t.case.case.correlation_key) == []
    return t


def national_says(t: Transfer, proxy: BrokerProxy, faults: Faults, action: str, reason: str) -> None:
    """The national centre's signed word about the request, published twice (same id), through the faults."""
    national = settings_of(NATIONAL, proxy.url())
    body = relay.national_action(national, t.receiving.code, t.case.case.correlation_key, action, reason)
    for _ in range(2):
        with broker.connect(national) as connection:
            broker.publish(connection, national, body, t.receiving.code)
    chaotic_exchange((t.receiving, t.sending), proxy, faults, t.rs, t.ss)


def the_national_centre_ends_a_stuck_request(
    receiving: Province, sending: Province, x: InTestProcess | InProcesses
) -> None:
    """A request the sending province never took stays 转学申请已发往转出省 until the national centre ends it
    (异常结束, at term change); its word is published twice and applied once."""
    t, unanswered = x.stuck(receiving, sending)
    x.national(t, "异常结束", "学期切换，未校验的申请结束")
    x.settle(t, "异常结束", unanswered)
    x.done(t, reordered=False)
    assert (t.case.state, t.case.case.status) == ("异常结束", CaseStatus.COMPLETED)
    assert t.case.states() == ["转入学校审核通过", "转学申请已发往转出省", "异常结束"]
    assert_exactly_one_effect(t, sending_cases=0, unanswered=unanswered)
    with receiving.sessions() as session:
        [national] = session.scalars(
            select(InboxMessage).where(
                InboxMessage.origin == NATIONAL, InboxMessage.correlation == t.case.case.correlation_key
            )
        ).all()
        assert national.status == InboxStatus.APPLIED
    assert sending.count(Student, has_national_id(t.number), Student.open_case_id.is_not(None)) == 0
    t.close()


def test_the_national_centre_ends_a_stuck_request_abnormally(through_proxy, proxy, clock):
    guizhou, beijing = through_proxy
    faults = faults_for(GUIZHOU, BEIJING, at=1)
    del faults.pending[f"relay-cut {GUIZHOU}"]  # 贵州 refuses the request: it never has a message to send
    the_national_centre_ends_a_stuck_request(beijing, guizhou, InTestProcess(through_proxy, proxy, faults))


def test_a_stuck_request_returned_by_the_national_centre_is_resubmitted_and_crosses(through_proxy, proxy, clock):
    guizhou, beijing = through_proxy
    faults = faults_for(GUIZHOU, BEIJING, at=1)
    t = stuck_request(guizhou, beijing, proxy, faults)
    national_says(t, proxy, faults, "打回", "由本级系统统一打回")
    assert t.case.state == "转出省校验未通过"
    school, county = RECEIVING[GUIZHOU]
    t.case.submit(
        "resubmit",
        by=t.user(t.rs, school),
        action="重新提交申请",
        student_name=t.name,
        national_student_id=t.number,
    )
    t.case.submit("to_county_review", by=t.user(t.rs, county), decision="通过")
    chaotic_exchange((guizhou, beijing), proxy, faults, t.rs, t.ss)
    assert faults.pending == {}
    assert t.case.state == "等待转出学校审核"
    assert t.case.states() == [
        "转入学校审核通过",
        "转学申请已发往转出省",
        "转出省校验未通过",
        "转入学校审核通过",
        "转学申请已发往转出省",
        "等待转出学校审核",
    ]
    assert t.out().seats() == [("school_review", "东城第一小学", "school_registrar")]
    assert_exactly_one_effect(t)
    t.close()


def test_flask_federation_national_sends_the_centres_signed_word(provinces, tmp_path):
    """`flask federation national` run by the national centre (XUEJI_PROVINCE_CODE=000000) publishes a signed
    异常结束 the province's inbox takes from 000000 about any case; without the centre's code it refuses."""
    guizhou, beijing = provinces
    correlation = f"fed-national-{uuid.uuid4().hex[:8]}"

    def app_of(code: str) -> Any:
        return create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret",
                "INSTANCE_DIR": tmp_path / code,
                "DB_ENGINE": beijing.sessions.kw["bind"],
                "PROVINCE_CODE": code,
                "FEDERATION_URL": BROKER_URL,
                "FEDERATION_KEY": KEYS[code][0],
                "FEDERATION_PEERS": PEERS,
                "FEDERATION_PREFIX": PREFIX,
            }
        )

    def invoke(code: str) -> Any:
        app = app_of(code)
        args = ["federation", "national", "--to", BEIJING, "--correlation", correlation, "--action", "异常结束"]
        with app.app_context():  # what the flask command gives every command
            return app.test_cli_runner().invoke(args=[*args, "--reason", "学期切换"])

    refused = invoke(GUIZHOU)
    assert refused.exit_code != 0 and "000000" in refused.output
    sent = invoke(NATIONAL)
    assert sent.exit_code == 0, sent.output
    beijing.consume()
    with beijing.sessions() as session:
        row = session.scalars(select(InboxMessage).where(InboxMessage.correlation == correlation)).one()
    assert (row.origin, row.name, row.payload) == (NATIONAL, "xp_status", {"state": "异常结束", "reason": "学期切换"})


def wait_for(check: Callable[[], bool], what: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.5)


def data_keys() -> dict[str, str]:
    """The data keys the province's database was written with (the test process's): a process with keys of its own
    could neither open the sealed values nor find a student by the blind index of his 学籍号."""
    if os.environ.get("XUEJI_DATA_KEYS"):
        return {}  # inherited with the environment
    provider = crypto.default_provider(os.environ)
    return {"XUEJI_DATA_KEY_FILE": str(provider.path)} if isinstance(provider, crypto.FileKeyProvider) else {}


def deployment(province: Province, tmp: Path, url: str = BROKER_URL, **faults: str) -> subprocess.Popen:
    """`flask federation run` of one province, in a process of its own, configured only by its environment
    (``faults``: the test-only switches of ``federation.faults``)."""
    env = {
        **os.environ,
        "XUEJI_DATABASE_URL": province.sessions.kw["bind"].url.render_as_string(hide_password=False),
        "XUEJI_INSTANCE_DIR": str(tmp / province.code),
        "XUEJI_SECRET_KEY": "test-secret",
        "XUEJI_PROVINCE_CODE": province.code,
        "XUEJI_FEDERATION_URL": url,
        "XUEJI_FEDERATION_KEY": KEYS[province.code][0],
        "XUEJI_FEDERATION_PEERS": PEERS,
        "XUEJI_FEDERATION_PREFIX": province.settings.prefix,
        **data_keys(),
        **faults,
    }
    return subprocess.Popen(  # noqa: S603 -- this interpreter running the app's own command
        [sys.executable, "-m", "flask", "--app", "webapp:create_app", "federation", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class Deployments:
    """Both provinces' `flask federation run`, each in a process of its own on its own database, through the
    proxy, on queues of their own (``prefix``); kept running across the scenarios. Every relay publishes each
    message twice and what waits newest first (``federation.faults``)."""

    ALWAYS = {"XUEJI_FAULT_PUBLISH_TWICE": "1", "XUEJI_FAULT_NEWEST_FIRST": "1"}

    def __init__(self, sides: tuple[Province, Province], proxy: BrokerProxy, tmp: Path) -> None:
        self.sides = {side.code: side for side in sides}
        self.proxy, self.tmp = proxy, tmp
        self.running = {code: self._start(code) for code in self.sides}
        self.deaths: list[tuple[str, int]] = []  # (province, exit code) of every process found dead

    def _start(self, code: str, **faults: str) -> subprocess.Popen:
        return deployment(self.sides[code], self.tmp, self.proxy.url(), **self.ALWAYS, **faults)

    def restart(self, code: str, **faults: str) -> None:
        self._stop(code)
        self.running[code] = self._start(code, **faults)

    def revive(self) -> None:
        """A province whose process died is started again (unarmed), as its supervisor would."""
        for code, process in self.running.items():
            if process.poll() is not None:
                self.deaths.append((code, process.returncode))
                self.running[code] = self._start(code)

    def _stop(self, code: str) -> None:
        self.running[code].terminate()
        self.running[code].wait(timeout=30)

    def close(self) -> None:
        for code in self.running:
            self._stop(code)


PROCESS_PREFIX = f"{PREFIX}-proc"


@pytest.fixture(scope="module")
def deployments(provinces, proxy, tmp_path_factory) -> Iterator[Deployments]:
    sides = tuple(Province(side.code, side.sessions.kw["bind"], prefix=PROCESS_PREFIX) for side in provinces)
    running = Deployments(sides, proxy, tmp_path_factory.mktemp("deployments"))
    yield running
    running.close()
    broker.delete_queues(settings_of(GUIZHOU, prefix=PROCESS_PREFIX), [GUIZHOU, BEIJING, NATIONAL])


class InProcesses:
    """The exchange crosses only through the two provinces' processes (``Deployments``). Every user step is taken
    while the broker is gone (the proxy cut under the running loops), so what it wrote waits, and crosses twice
    and newest first once the broker is back; ``kills`` arms provinces' consumers to die after a commit, before
    the ack, at the first message of the name given."""

    def __init__(self, deployments: Deployments, kills: dict[str, str]) -> None:
        self.deployments, self.kills = deployments, kills
        self.sides = tuple(deployments.sides.values())
        self.cuts = deployments.proxy.cuts
        self.deaths = len(deployments.deaths)
        for code, message in kills.items():
            deployments.restart(code, XUEJI_FAULT_KILL_BEFORE_ACK=message)

    def around(self, action: Callable[[], Any]) -> Any:
        self.deployments.proxy.cut()
        try:
            return action()
        finally:
            self.deployments.proxy.restore()

    def settle(self, t: Transfer, state: str, unanswered: frozenset[str] = frozenset()) -> None:
        """Until the receiving case shows ``state`` and the exchange is at rest: every message of the case
        answered by a receipt on both sides (but ``unanswered``), none kept waiting, both queues empty."""
        correlation = t.case.case.correlation_key
        for reader in (t.rs, t.ss):
            reader.commit()

        def at_rest() -> bool:
            self.deployments.revive()
            return cases(t.receiving, correlation)[0].state_label == state and all(
                {m.status for m in outbox(side, correlation) if m.uid not in unanswered}
                <= {MessageStatus.CONFIRMED, MessageStatus.FAILED}
                and not side.count(
                    InboxMessage, InboxMessage.correlation == correlation, InboxMessage.status == InboxStatus.RECEIVED
                )
                and not queued(side)
                for side in self.sides
            )

        wait_for(at_rest, f"{state}, the exchange at rest", seconds=180)
        for reader in (t.rs, t.ss):
            reader.commit()

    def national(self, t: Transfer, action: str, reason: str) -> None:
        national = settings_of(NATIONAL, self.deployments.proxy.url(), PROCESS_PREFIX)
        body = relay.national_action(national, t.receiving.code, t.case.case.correlation_key, action, reason)
        for _ in range(2):
            with broker.connect(national) as connection:
                broker.publish(connection, national, body, t.receiving.code)

    def stuck(self, receiving: Province, sending: Province) -> tuple[Transfer, frozenset[str]]:
        """The sending province has not configured the receiving one's public key: it refuses the request
        unread into its dead-letter queue (both copies), and nothing ever answers it."""
        keyless = ",".join(f"{code}={public}" for code, (_, public) in KEYS.items() if code != receiving.code)
        self.deployments.restart(sending.code, XUEJI_FEDERATION_PEERS=keyless)
        t = self.around(lambda: apply_for_transfer(receiving, sending))
        [request] = outbox(receiving, t.case.case.correlation_key)
        wait_for(lambda: sending.count(DeadLetter, DeadLetter.uid == request.uid) == 2, "the request refused")
        self.deployments.restart(sending.code)
        t.rs.commit()
        assert t.case.state == "转学申请已发往转出省"
        assert [m.status for m in outbox(receiving, t.case.case.correlation_key)] == [MessageStatus.SENT]
        return t, frozenset({request.uid or ""})

    def done(self, t: Transfer, *, reordered: bool = True) -> None:
        assert self.deployments.proxy.cuts > self.cuts
        deaths = self.deployments.deaths[self.deaths :]
        assert sorted(deaths) == sorted((code, -signal.SIGKILL) for code in self.kills)
        if reordered:
            # Some province got a later message of the case before an earlier one (and applied them in order).
            arrivals = []
            for side in self.sides:
                with side.sessions() as session:
                    arrivals.append(
                        session.scalars(
                            select(InboxMessage.seq)
                            .where(InboxMessage.correlation == t.case.case.correlation_key, InboxMessage.seq > 0)
                            .order_by(InboxMessage.id)
                        ).all()
                    )
            assert any(seqs != sorted(seqs) for seqs in arrivals), arrivals


def test_two_deployments_in_processes_of_their_own_answer_each_other(provinces, proxy, tmp_path):
    """Each province's relay and inbox run as `flask federation run` in a process of its own, through the proxy;
    the broker goes away under 贵州's running loop once its message is out (it reconnects by itself); 北京's starts
    only then (a province that was down), and is killed and restarted once."""
    guizhou, beijing = provinces
    ping = start_ping(guizhou)
    processes = [deployment(guizhou, tmp_path, proxy.url())]
    try:
        wait_for(lambda: outbox(guizhou, ping.correlation_key)[0].status == MessageStatus.SENT, "贵州 publishes")
        proxy.cut()
        proxy.restore()
        processes.append(deployment(beijing, tmp_path, proxy.url()))
        wait_for(lambda: len(cases(beijing, ping.correlation_key)) == 1, "北京 starts the answering case")
        processes[1].kill()  # wherever it was: before or after its commit, its ack, its answer's publish
        processes[1].wait()
        processes[1] = deployment(beijing, tmp_path, proxy.url())
        wait_for(lambda: cases(guizhou, ping.correlation_key)[0].state_label == "已应答", "the answer arrives")
        wait_for(
            lambda: [m.status for m in outbox(guizhou, ping.correlation_key)] == [MessageStatus.CONFIRMED],
            "北京's receipt",
        )
        assert processes[0].poll() is None  # 贵州's loop outlived the broker's going away
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
    assert len(cases(beijing, ping.correlation_key)) == 1
    assert beijing.count(InboxMessage, InboxMessage.correlation == ping.correlation_key) == 1


def free_port_pair() -> int:
    """A port p with p + 1 free as well (the demo serves 贵州 on p, 北京 on p + 1)."""
    for _ in range(20):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise AssertionError("no two free ports in a row")


def test_make_demo_provinces_starts_both_provinces_and_their_loops(provinces, tmp_path):
    """`make demo-provinces` runs ``python -m federation.demo``; with --check it starts the two web applications
    and the two relay/inbox loops on the provinces' databases, waits until the pages answer, and stops."""
    guizhou, beijing = provinces
    prefix = f"{PREFIX}-demo"
    port = free_port_pair()
    env = {
        **os.environ,
        "XUEJI_PROVINCES_DIR": str(tmp_path),
        "XUEJI_FEDERATION_URL": BROKER_URL,
        "XUEJI_FEDERATION_PREFIX": prefix,
        **{
            f"XUEJI_DATABASE_URL_{side.code}": side.sessions.kw["bind"].url.render_as_string(hide_password=False)
            for side in (guizhou, beijing)
        },
    }
    try:
        done = subprocess.run(  # noqa: S603 -- this interpreter running the project's own module
            [sys.executable, "-m", "federation.demo", "--check", "--port", str(port)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        broker.delete_queues(dataclasses.replace(settings_of(GUIZHOU), prefix=prefix), [GUIZHOU, BEIJING])
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"贵州（520000）：http://127.0.0.1:{port}" in done.stdout
    assert f"北京（110000）：http://127.0.0.1:{port + 1}" in done.stdout
    assert (tmp_path / "keys.json").exists()


def test_a_transfer_walked_through_both_provinces_web_applications(provinces, clock, tmp_path):
    """What a newcomer does in `make demo-provinces`, through the two applications' pages: 贵州's school applies
    for a 北京 student and its county passes; 北京's school and county pass in their own application; 贵州's school
    pulls the archive. The broker carries everything between the steps."""
    guizhou, beijing = provinces

    def app_of(side: Province) -> Any:
        return create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret",
                "INSTANCE_DIR": tmp_path / side.code,
                "DB_ENGINE": side.sessions.kw["bind"],
                "WTF_CSRF_ENABLED": False,
                "SESSION_COOKIE_SECURE": False,
                "PROVINCE_CODE": side.code,
                "FEDERATION_URL": BROKER_URL,
                "FEDERATION_KEY": KEYS[side.code][0],
                "FEDERATION_PEERS": PEERS,
                "FEDERATION_PREFIX": PREFIX,
            }
        )

    apps = {GUIZHOU: app_of(guizhou), BEIJING: app_of(beijing)}

    def signed_in(side: Province, username: str) -> Any:
        client = apps[side.code].test_client()
        assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
        return client

    def task_of(side: Province, correlation: str) -> int:
        with side.sessions() as session:
            return session.scalars(
                select(InboxTask.id)
                .join(ProcessInstance)
                .where(ProcessInstance.correlation_key == correlation, InboxTask.status == TaskStatus.OPEN)
            ).one()

    def state(side: Province, correlation: str) -> str:
        return cases(side, correlation)[0].state_label

    with beijing.sessions() as session:
        school = session.scalars(select(User.org_id).where(User.username == "dongcheng-xx-registrar")).one()
        student = session.scalars(
            select(Student)
            .where(
                Student.school_id == school, Student.open_case_id.is_(None), Student.status == StudentStatus.IN_SCHOOL
            )
            .order_by(Student.id)
        ).first()
    with guizhou.sessions() as session:
        beijing_id = session.scalars(select(OrgUnit.id).where(OrgUnit.division_code == BEIJING)).one()
        registrar = session.scalars(select(User).where(User.username == "nanming-xx-registrar")).one()
        to_class = session.scalars(
            select(SchoolClass).where(SchoolClass.cohort.has(school_id=registrar.org_id))
        ).first()
    school_gz = signed_in(guizhou, "nanming-xx-registrar")
    applied = school_gz.post(
        "/transfers/cross-province/new",
        data={
            "from_province_id": str(beijing_id),
            "student_name": student.name,
            "national_student_id": student.national_student_id,
            "to_class_id": str(to_class.id),
            "reason": "随父母回黔工作",
        },
    )
    assert applied.status_code == 302, applied.get_data(as_text=True)
    with guizhou.sessions() as session:
        correlation = session.scalars(
            select(ProcessInstance.correlation_key).order_by(ProcessInstance.id.desc())
        ).first()
    steps = [
        (guizhou, "nanming-county", {"decision": "通过"}, "等待转出学校审核"),
        (beijing, "dongcheng-xx-registrar", {"decision": "通过"}, "转出学校审核通过"),
        (beijing, "dongcheng-county", {"decision": "通过"}, "等待转入学校调档"),
        (guizhou, "nanming-xx-registrar", {"action": "调档"}, "学籍调档完毕"),
    ]
    for side, username, fields, then in steps:
        done = signed_in(side, username).post(f"/tasks/{task_of(side, correlation)}", data=fields)
        assert done.status_code == 302, done.get_data(as_text=True)
        for _ in range(3):  # out and back: the request or answer, then the receipts
            for other in (guizhou, beijing):
                other.relay()
            for other in (guizhou, beijing):
                other.consume()
        assert state(guizhou, correlation) == then
    page = school_gz.get("/transfers/?direction=in").get_data(as_text=True)
    assert student.name in page and "学籍调档完毕" in page
    with guizhou.sessions() as session:
        arrived = session.scalars(
            select(Student).where(
                has_national_id(student.national_student_id), Student.status == StudentStatus.IN_SCHOOL
            )
        ).one()
        assert arrived.school_id == registrar.org_id


# Last in the module: the deployments' loops, once started, relay every province outbox row of the two databases.
def test_a_transfer_from_beijing_to_guizhou_across_the_provinces_processes(deployments, clock):
    guizhou, beijing = deployments.sides[GUIZHOU], deployments.sides[BEIJING]
    walk_transfer(guizhou, beijing, InProcesses(deployments, {BEIJING: "xp_request", GUIZHOU: "xp_status"}))


def test_a_transfer_from_guizhou_to_beijing_across_the_provinces_processes(deployments, clock):
    guizhou, beijing = deployments.sides[GUIZHOU], deployments.sides[BEIJING]
    walk_transfer(beijing, guizhou, InProcesses(deployments, {GUIZHOU: "xp_pull", BEIJING: "xp_status"}))


def test_a_revoke_overtaking_its_request_across_the_provinces_processes(deployments, clock):
    guizhou, beijing = deployments.sides[GUIZHOU], deployments.sides[BEIJING]
    revoke_before_the_request_crossed(
        guizhou, beijing, InProcesses(deployments, {BEIJING: "xp_revoke", GUIZHOU: "xp_status"})
    )


def test_the_national_centre_ends_a_stuck_request_across_the_provinces_processes(deployments, clock):
    guizhou, beijing = deployments.sides[GUIZHOU], deployments.sides[BEIJING]
    the_national_centre_ends_a_stuck_request(beijing, guizhou, InProcesses(deployments, {BEIJING: "xp_status"}))
