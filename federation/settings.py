"""What a province deployed on its own needs to talk to the others: its code, the broker, its signing key and
the public keys of the provinces it accepts messages from."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# The national centre (全国学籍系统) as a party of the exchange: its 异常结束 and 打回 of a province's requests
# arrive as messages it signs, about any case, outside the order of the two provinces' messages.
NATIONAL = "000000"


@dataclass(frozen=True)
class Settings:
    province: str  # division code, e.g. "520000"
    url: str  # the broker, e.g. amqp://guest:guest@127.0.0.1:5672//
    signing_key: Ed25519PrivateKey
    public_keys: Mapping[str, Ed25519PublicKey] = field(default_factory=dict)
    prefix: str = "xueji"  # of exchange and queue names: two federations (or test runs) on one broker stay apart

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings | None:
        """From the app's config (XUEJI_PROVINCE_CODE, XUEJI_FEDERATION_URL, XUEJI_FEDERATION_KEY,
        XUEJI_FEDERATION_PEERS, XUEJI_FEDERATION_PREFIX); None in the embedded default."""
        if not (config.get("PROVINCE_CODE") and config.get("FEDERATION_URL")):
            return None
        return cls(
            province=config["PROVINCE_CODE"],
            url=config["FEDERATION_URL"],
            signing_key=private_key(config.get("FEDERATION_KEY", "")),
            public_keys=peer_keys(config.get("FEDERATION_PEERS", "")),
            prefix=config.get("FEDERATION_PREFIX") or "xueji",
        )


def new_key() -> tuple[str, str]:
    """(private, public) as base64 of the raw 32 bytes: one line each in the environment."""
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return base64.b64encode(raw).decode(), public_text(key.public_key())


def public_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def private_key(text: str) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except ValueError as exc:
        raise ValueError("XUEJI_FEDERATION_KEY 必须是 Ed25519 私钥（32 字节，base64）") from exc


def peer_keys(text: str) -> dict[str, Ed25519PublicKey]:
    """``"110000=<base64>,520000=<base64>"`` → public key per province code."""
    keys = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        code, _, encoded = item.partition("=")
        try:
            keys[code.strip()] = Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded.strip(), validate=True))
        except ValueError as exc:
            raise ValueError(f"XUEJI_FEDERATION_PEERS 中省份 {code} 的公钥无效") from exc
    return keys
