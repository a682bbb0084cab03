"""The message on the wire: JSON with a schema version, signed by the sending province (Ed25519).

Version 1 fields (all required): ``v``, ``id`` (uuid), ``kind`` ("message" or "receipt"), ``origin`` and
``destination`` (province codes), ``name`` (the BPMN message name), ``correlation``, ``seq`` (the message's place
among its case's messages to that province), ``payload`` (object), ``written_at`` (ISO time the outbox row was
written) and ``sig`` (base64 signature of the canonical JSON of every other field).

The payload of every message name the cross-province diagrams exchange is checked against its schema for the
message's version (``PAYLOADS``): a known name with a payload that does not fit is refused like a malformed
envelope. A name without a schema is left to the engine, which keeps it undeliverable when no process takes it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = 1
KINDS = ("message", "receipt")
# field → (type, longest text): the columns these values go to
FIELDS: dict[str, tuple[type, int]] = {
    "id": (str, 36),
    "kind": (str, 10),
    "origin": (str, 6),
    "destination": (str, 6),
    "name": (str, 100),
    "correlation": (str, 64),
    "seq": (int, 0),
    "payload": (dict, 0),
    "written_at": (str, 40),
    "sig": (str, 200),
}


# (message name, version) → field → (types, required). Optional fields may be missing or null; no other field
# may appear (a field this version does not know is a sender speaking a newer version without saying so).
PayloadSchema = dict[str, tuple[tuple[type, ...], bool]]
TEXT, NUMBER, OBJECT, LIST = (str,), (int,), (dict,), (list,)
PAYLOADS: dict[tuple[str, int], PayloadSchema] = {
    ("xp_request", 1): {
        "to_org_id": (NUMBER, True),
        "national_student_id": (TEXT, True),
        "student_name": (TEXT, True),
        "to_province_name": (TEXT, False),
        "to_school_name": (TEXT, False),
        "to_class_name": (TEXT, False),
        "reason": (TEXT, False),
        "kind": (TEXT, False),
    },
    ("xp_status", 1): {"state": (TEXT, True), "reason": (TEXT, False), "record": (OBJECT, False)},
    ("xp_revoke", 1): {"reason": (TEXT, False)},
    ("xp_pull", 1): {"to_school_name": (TEXT, False)},
    ("receipt", 1): {"applied": (LIST, True), "rejected": (LIST, False)},
}


class Refused(Exception):
    """A message that is not taken: it goes to the dead-letter queue with this reason."""

    def __init__(self, reason: str, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.uid = str((data or {}).get("id", ""))[:64]
        self.origin = str((data or {}).get("origin", ""))[:16]


def canonical(data: Mapping[str, Any]) -> bytes:
    unsigned = {key: value for key, value in data.items() if key != "sig"}
    return json.dumps(unsigned, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def seal(fields: Mapping[str, Any], key: Ed25519PrivateKey) -> bytes:
    data = {"v": VERSION, **fields}
    data["sig"] = base64.b64encode(key.sign(canonical(data))).decode()
    return json.dumps(data, ensure_ascii=False).encode()


def open_envelope(body: bytes, own: str, keys: Mapping[str, Ed25519PublicKey]) -> dict[str, Any]:
    """The checked message, or ``Refused`` with the reason (in Chinese: the province operator reads it)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused("消息格式错误：不是有效的 JSON") from exc
    if not isinstance(data, dict):
        raise Refused("消息格式错误：不是 JSON 对象")
    if data.get("v") != VERSION:
        raise Refused(f"未知的消息版本：{data.get('v')!r}（本省只接受版本 {VERSION}）", data)
    for name, (kind, longest) in FIELDS.items():
        value = data.get(name)
        if not isinstance(value, kind) or isinstance(value, bool) or (longest and len(value) > longest):
            raise Refused(f"消息格式错误：字段 {name} 缺失、类型不对或过长", data)
    if data["kind"] not in KINDS:
        raise Refused(f"消息格式错误：未知的消息类型 {data['kind']}", data)
    if data["destination"] != own:
        raise Refused(f"消息发往 {data['destination']}，不是本省（{own}）", data)
    key = keys.get(data["origin"])
    if key is None:
        raise Refused(f"没有配置省份 {data['origin']} 的公钥，不能核验签名", data)
    try:
        key.verify(base64.b64decode(data["sig"], validate=True), canonical(data))
    except (InvalidSignature, ValueError) as exc:
        raise Refused(f"签名无效：消息不是省份 {data['origin']} 签发的，或内容被改动", data) from exc
    check_payload(data)
    return data


def check_payload(data: Mapping[str, Any]) -> None:
    schema = PAYLOADS.get((data["name"], data["v"]))
    if schema is None:
        return
    payload: Mapping[str, Any] = data["payload"]
    where = f"消息内容不符合 {data['name']}（版本 {data['v']}）的格式"
    for name, (types, required) in schema.items():
        value = payload.get(name)
        if value is None:
            if required:
                raise Refused(f"{where}：缺少字段 {name}", data)
        elif not isinstance(value, types) or isinstance(value, bool):
            raise Refused(f"{where}：字段 {name} 的类型不对", data)
    extra = sorted(set(payload) - set(schema))
    if extra:
        raise Refused(f"{where}：多余的字段 {'、'.join(extra)}", data)
