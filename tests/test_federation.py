"""Two provinces deployed apart (issue 15): two databases, one per province, and the real RabbitMQ between them.

贵州 (520000) and 北京 (110000) each run on a database of their own; their sessions carry the province code, so
the engine leaves cross-province messages in the outbox; the relay publishes them (publisher confirms) and the
other province's inbox applies them once, in order, and refuses malformed, unknown-version and forged ones into
the dead-letter queue."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import MultiDict

import engine as wf
from conftest import PASSWORD, CaseDriver, own_database
from federation import broker, envelope, relay
from federation.inbox import Inbox, retry_dead_letter
from federation.settings import Settings, new_key, peer_keys, private_key
from forms import FORMS
from models.exchange import ExchangeMessage, MessageStatus
from models.federation import DeadLetter, InboxMessage, InboxStatus
from models.org import OrgLevel, OrgUnit, SchoolClass
from models.student import Student, StudentStatus
from models.user import User
from models.workflow import CaseStatus, ProcessInstance
from webapp import create_app
from webapp.config import ROOT

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

KEYS = {GUIZHOU: new_key(), BEIJING: new_key()}
PEERS = ",".join(f"{code}={public}" for code, (_, public) in KEYS.items())


def settings_of(code: str) -> Settings:
    return Settings(
        province=code,
        url=BROKER_URL,
        signing_key=private_key(KEYS[code][0]),
        public_keys=peer_keys(PEERS),
        prefix=PREFIX,
    )


class Province:
    """One deployment: its database, its settings, its inbox."""

    def __init__(self, code: str, db_engine: Any) -> None:
        self.code = code
        self.settings = settings_of(code)
        self.sessions: Callable[[], Session] = sessionmaker(bind=db_engine, info={"province_code": code})
        self.inbox = Inbox(self.settings, self.sessions)

    def relay(self) -> int:
        with self.sessions() as session, broker.connect(self.settings) as connection:
            return relay.publish_outbox(session, self.settings, connection)

    def consume(self, **kwargs: Any) -> None:
        with broker.connect(self.settings) as connection:
            self.inbox.drain(connection, **kwargs)

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
                # The demo world holds both provinces; a deployment of its own keeps no student of the other.
                other = session.scalars(
                    select(OrgUnit).where(OrgUnit.level == OrgLevel.PROVINCE, OrgUnit.division_code != province.code)
                ).one()
                schools = select(OrgUnit.id).where(OrgUnit.path.startswith(other.path, autoescape=True))
                session.execute(
                    update(Student).where(Student.school_id.in_(schools)).values(status=StudentStatus.TRANSFERRED_OUT)
                )
                session.commit()
        yield pair
    broker.delete_queues(settings_of(GUIZHOU), [GUIZHOU, BEIJING])


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


def exchange(*sides: Province, twice: bool = False, readers: tuple[Session, ...] = ()) -> None:
    """Relay and consume on both sides until nothing moves; ``twice``: every message is published twice (a
    relay that crashes after each publish, before it marks the row sent). ``readers`` (the tests' own sessions)
    end their read transactions first, and so see what the exchange committed."""
    for reader in readers:
        reader.commit()
    for _ in range(10):
        moved = 0
        for side in sides:
            if twice:
                with side.sessions() as session:
                    waiting = session.scalars(
                        select(ExchangeMessage).where(ExchangeMessage.status == MessageStatus.OUTBOX)
                    ).all()
                    uids = [m.uid for m in waiting]
                if uids:
                    side.relay()
                    with side.sessions() as session:
                        for message in session.scalars(select(ExchangeMessage).where(ExchangeMessage.uid.in_(uids))):
                            message.status = MessageStatus.OUTBOX
                        session.commit()
            moved += side.relay()
        for side in sides:
            before = len(side.inbox.tally.outcomes)
            side.consume()
            moved += len(side.inbox.tally.outcomes) - before
        if not moved:
            for reader in readers:
                reader.commit()
            return
    raise AssertionError("the exchange did not come to rest")


@dataclass
class Transfer:
    gz: Session
    bj: Session
    case: CaseDriver  # the receiving side, in 贵州's database
    out: CaseDriver  # the sending side, in 北京's database
    registrar: User
    student_id: int  # 北京's student
    number: str

    def user(self, session: Session, username: str) -> User:
        return session.scalars(select(User).where(User.username == username)).one()


def open_transfer(guizhou: Province, beijing: Province, *, twice: bool = False) -> Transfer:
    """贵州's school applies for a 北京 student, its county passes, the request crosses: 等待转出学校审核."""
    with beijing.sessions() as bj:
        school = bj.scalars(select(User.org_id).where(User.username == "dongcheng-xx-registrar")).one()
        student = bj.scalars(
            select(Student)
            .where(
                Student.school_id == school, Student.open_case_id.is_(None), Student.status == StudentStatus.IN_SCHOOL
            )
            .order_by(Student.id.desc())
        ).first()
        number, name, student_id = student.national_student_id, student.name, student.id
    gz = guizhou.sessions()
    registrar = gz.scalars(select(User).where(User.username == "nanming-xx-registrar")).one()
    beijing_id = gz.scalars(select(OrgUnit.id).where(OrgUnit.division_code == BEIJING)).one()
    first_class = gz.scalars(select(SchoolClass).where(SchoolClass.cohort.has(school_id=registrar.org_id))).first()
    fields = {
        "from_province_id": str(beijing_id),
        "student_name": name,
        "national_student_id": number,
        "to_class_id": str(first_class.id),
        "reason": "随父母工作调动",
    }
    form = FORMS[wf.start_form_key(gz, "transfer_cross_province_in")](formdata=MultiDict(fields))
    assert form.validate(), form.errors
    started = wf.start(
        gz,
        "transfer_cross_province_in",
        student_id=None,
        actor=registrar,
        data=form.to_task_data(),
        display=form.display_lines(),
        to_school_id=registrar.org_id,
    )
    case = CaseDriver(gz, started)
    county = gz.scalars(select(User).where(User.username == "nanming-county")).one()
    case.submit("to_county_review", by=county, decision="通过")
    assert case.state == "转学申请已发往转出省"  # nothing crossed yet: the message waits in the outbox
    exchange(guizhou, beijing, twice=twice, readers=(gz,))
    assert case.state == "等待转出学校审核"
    bj = beijing.sessions()
    [out_case] = bj.scalars(
        select(ProcessInstance).where(ProcessInstance.correlation_key == started.correlation_key)
    ).all()
    out = CaseDriver(bj, out_case)
    assert out.case.student_id == student_id
    return Transfer(gz, bj, case, out, registrar, student_id, number)


def test_a_cross_province_transfer_walks_to_the_archive_with_every_message_delivered_twice(provinces, clock):
    """跨省转学 (F-31, F-32) between two deployments: 贵州's school takes a 北京 student; each side's database
    holds its own case; the record arrives by 调档; every message of the exchange arrives twice."""
    guizhou, beijing = provinces
    t = open_transfer(guizhou, beijing, twice=True)
    gz, bj, case, out, registrar, student_id, number = t.gz, t.bj, t.case, t.out, t.registrar, t.student_id, t.number
    for step, reviewer in (("school_review", "dongcheng-xx-registrar"), ("county_review", "dongcheng-county")):
        out.submit(step, by=t.user(bj, reviewer), decision="通过")
        exchange(guizhou, beijing, twice=True, readers=(gz, bj))
    assert (case.state, out.state) == ("等待转入学校调档", "等待转入学校调档")
    case.submit("pull", by=registrar, action="调档")
    exchange(guizhou, beijing, twice=True, readers=(gz, bj))
    assert (case.state, out.state) == ("学籍调档完毕", "学籍调档完毕")
    assert case.states() == [
        "转入学校审核通过",
        "转学申请已发往转出省",
        "等待转出学校审核",
        "转出学校审核通过",
        "转出区县审核通过",
        "等待转入学校调档",
        "调档申请已发往转出省",
        "学籍调档完毕",
    ]
    gz.expire_all()
    bj.expire_all()
    arrived = gz.get_one(Student, case.case.student_id)
    assert (arrived.status, arrived.national_student_id, arrived.school_id) == (
        StudentStatus.IN_SCHOOL,
        number,
        registrar.org_id,
    )
    assert bj.get_one(Student, student_id).status == StudentStatus.TRANSFERRED_OUT
    # Exactly one effect on each side: one case each, every message applied once though published twice.
    assert len(cases(guizhou, case.case.correlation_key)) == len(cases(beijing, case.case.correlation_key)) == 1
    for side in (guizhou, beijing):
        with side.sessions() as session:
            statuses = session.scalars(
                select(InboxMessage.status).where(InboxMessage.correlation == case.case.correlation_key)
            ).all()
        assert statuses and set(statuses) == {InboxStatus.APPLIED}
    gz.close()
    bj.close()


def test_a_revoke_crosses_to_the_sending_province_and_ends_both_cases(provinces, clock):
    """转学撤销 (F-31): the receiving school revokes while the sending school reviews; both deployments end their
    case in 转学撤销完毕 and the 北京 student is free for a new application."""
    guizhou, beijing = provinces
    t = open_transfer(guizhou, beijing)
    t.case.submit("await_sending", by=t.registrar, action="撤销转学申请", revoke_reason="家长改变主意")
    assert t.case.state == "转学撤销申请已发往转出省"
    exchange(guizhou, beijing, readers=(t.gz, t.bj))
    assert (t.case.state, t.out.state) == ("转学撤销完毕", "转学撤销完毕")
    assert t.case.case.status == t.out.case.status == CaseStatus.COMPLETED
    assert t.case.seats() == [] and t.out.seats() == []
    t.bj.expire_all()
    assert t.bj.get_one(Student, t.student_id).open_case_id is None
    t.gz.close()
    t.bj.close()


def wait_for(check: Callable[[], bool], what: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.5)


def deployment(province: Province, tmp: Path) -> subprocess.Popen:
    """`flask federation run` of one province, in a process of its own, configured only by its environment."""
    env = {
        **os.environ,
        "XUEJI_DATABASE_URL": province.sessions.kw["bind"].url.render_as_string(hide_password=False),
        "XUEJI_INSTANCE_DIR": str(tmp / province.code),
        "XUEJI_SECRET_KEY": "test-secret",
        "XUEJI_PROVINCE_CODE": province.code,
        "XUEJI_FEDERATION_URL": BROKER_URL,
        "XUEJI_FEDERATION_KEY": KEYS[province.code][0],
        "XUEJI_FEDERATION_PEERS": PEERS,
        "XUEJI_FEDERATION_PREFIX": PREFIX,
    }
    return subprocess.Popen(  # noqa: S603 -- this interpreter running the app's own command
        [sys.executable, "-m", "flask", "--app", "webapp:create_app", "federation", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_two_deployments_in_processes_of_their_own_answer_each_other(provinces, tmp_path):
    """Each province's relay and inbox run as `flask federation run` in a process of its own; 北京's starts only
    after 贵州's message is on the broker (a province that was down), and is killed and restarted once."""
    guizhou, beijing = provinces
    ping = start_ping(guizhou)
    processes = [deployment(guizhou, tmp_path)]
    try:
        wait_for(lambda: outbox(guizhou, ping.correlation_key)[0].status == MessageStatus.SENT, "贵州 publishes")
        processes.append(deployment(beijing, tmp_path))
        wait_for(lambda: len(cases(beijing, ping.correlation_key)) == 1, "北京 starts the answering case")
        processes[1].kill()  # wherever it was: before or after its commit, its ack, its answer's publish
        processes[1].wait()
        processes[1] = deployment(beijing, tmp_path)
        wait_for(lambda: cases(guizhou, ping.correlation_key)[0].state_label == "已应答", "the answer arrives")
        wait_for(
            lambda: [m.status for m in outbox(guizhou, ping.correlation_key)] == [MessageStatus.CONFIRMED],
            "北京's receipt",
        )
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
    assert len(cases(beijing, ping.correlation_key)) == 1
    assert beijing.count(InboxMessage, InboxMessage.correlation == ping.correlation_key) == 1
