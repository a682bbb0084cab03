"""Encryption at rest of the sensitive personal fields (issue 22 item 1, GB/T 22239 8.1.4.8 confidentiality).

A value is stored as ``<version>:`` + base64(nonce ‖ ciphertext ‖ tag), sealed with the authenticated cipher of
its key version: AES-256-GCM, or SM4-GCM (GB/T 32907 + GCM) for deployments that must use national algorithms. The
keys never live in the database: a JSON key file under instance/ (created on first use outside production),
``XUEJI_DATA_KEYS`` in the environment, or a key service behind :class:`KeyProvider`. Reads accept every configured
version, writes use the current one, so ``flask xueji rotate-key`` can re-encrypt row by row while the system runs.

Equality look-ups go through a blind index (HMAC-SHA256 of the normalised value, 128 bits kept) under a key of its
own that rotation leaves alone: re-keying it would change every index entry at once, and until the whole table was
rewritten a look-up would miss the rows not yet done, which is exactly the downtime rotation must avoid.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import JSON, String, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

NONCE = 12
TAG = 16
CIPHERS = ("aes-gcm", "sm4-gcm")
KEY_LENGTHS = {"aes-gcm": 32, "sm4-gcm": 16}


class SealBroken(RuntimeError):
    """A value sealed under a version no key is configured for, or one that fails authentication."""


@dataclass(frozen=True)
class DataKey:
    version: str
    cipher: str  # one of CIPHERS
    secret: bytes

    @cached_property
    def _aes(self) -> AESGCM:
        return AESGCM(self.secret)  # its key schedule once, not per value (half the cost of a short value)

    def seal(self, plain: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        if self.cipher == "aes-gcm":
            return nonce + self._aes.encrypt(nonce, plain, None)
        encryptor = Cipher(algorithms.SM4(self.secret), modes.GCM(nonce)).encryptor()
        return nonce + encryptor.update(plain) + encryptor.finalize() + encryptor.tag

    def open(self, sealed: bytes) -> bytes:
        nonce, body = sealed[:NONCE], sealed[NONCE:]
        try:
            if self.cipher == "aes-gcm":
                return self._aes.decrypt(nonce, body, None)
            decryptor = Cipher(algorithms.SM4(self.secret), modes.GCM(nonce, body[-TAG:])).decryptor()
            return decryptor.update(body[:-TAG]) + decryptor.finalize()
        except InvalidTag as err:
            raise SealBroken(f"加密字段校验失败（密钥版本 {self.version}）：数据被篡改或密钥不符") from err


@dataclass(frozen=True)
class Keyring:
    """The configured key versions, the one writes use, and the blind-index key. ``enabled=False`` stores values
    as they are (the bench's comparison only; production refuses it)."""

    keys: Mapping[str, DataKey]
    current: str
    index_key: bytes
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.enabled and self.current not in self.keys:
            raise ValueError(f"当前密钥版本 {self.current} 没有配置密钥")
        for key in self.keys.values():
            if key.cipher not in CIPHERS or len(key.secret) != KEY_LENGTHS[key.cipher]:
                raise ValueError(f"密钥 {key.version}：{key.cipher} 需要 {KEY_LENGTHS.get(key.cipher)} 字节的密钥")

    def encrypt(self, value: str) -> str:
        if not self.enabled or not value:
            return value
        key = self.keys[self.current]
        return f"{key.version}:" + base64.b64encode(key.seal(value.encode())).decode()

    def encrypt_all(self, values: Iterable[Any]) -> list[Any]:
        """``encrypt`` of each non-empty string of ``values``, the others as they are. The nonces of an AES key are
        read from the OS at once: a read of the random source per value cost as much as the cipher itself, and an
        import seals some 700,000 values."""
        values = list(values)
        key = self.keys.get(self.current)
        if not self.enabled or key is None or key.cipher != "aes-gcm":
            return [self.encrypt(v) if v and v.__class__ is str else v for v in values]
        prefix, seal, b64 = f"{key.version}:", key._aes.encrypt, binascii.b2a_base64
        pool = os.urandom(NONCE * len(values))
        out = []
        for at, value in enumerate(values):
            if value and value.__class__ is str:
                nonce = pool[at * NONCE : (at + 1) * NONCE]
                value = prefix + b64(nonce + seal(nonce, value.encode(), None), newline=False).decode()
            out.append(value)
        return out

    def decrypt(self, stored: str) -> str:
        version = self.version_of(stored)
        if version is None:
            return stored  # not sealed: a row the migration or rotation has not reached, or encryption off
        try:
            sealed = base64.b64decode(stored[len(version) + 1 :], validate=True)
        except binascii.Error as err:
            raise SealBroken(f"加密字段格式错误（密钥版本 {version}）") from err
        return self.keys[version].open(sealed).decode()

    def version_of(self, stored: str) -> str | None:
        """The key version a stored value was sealed with (None: stored as it is)."""
        head, colon, _ = stored.partition(":")
        return head if colon and head in self.keys else None

    @cached_property
    def _index_mac(self) -> hmac.HMAC:
        return hmac.new(self.index_key, digestmod=hashlib.sha256)

    def blind_index(self, normalised: str | None) -> str | None:
        if not normalised:
            return None
        mac = self._index_mac.copy()  # the keyed pads are hashed once
        mac.update(normalised.encode())
        return mac.hexdigest()[:32]


class KeyProvider(Protocol):
    """Where the keys come from: a file, the environment, or a key service (KMS / 密码机) in production."""

    def load(self) -> Keyring: ...


def _b64key(text: str) -> bytes:
    return base64.b64decode(text.strip(), validate=True)


@dataclass
class FileKeyProvider:
    """A JSON key file: ``{"current": "v1", "keys": {"v1": {"cipher": "aes-gcm", "key": "<base64>"}},
    "index_key": "<base64>"}``. With ``create``, a missing file is made with one fresh AES key (the embedded
    default); production names an existing file."""

    path: Path
    create: bool = False

    def load(self) -> Keyring:
        if not self.path.exists():
            if not self.create:
                raise FileNotFoundError(f"密钥文件 {self.path} 不存在")
            _create_once(self.path, new_key_file())
        data = json.loads(self.path.read_text())
        keys = {v: DataKey(v, k["cipher"], _b64key(k["key"])) for v, k in data["keys"].items()}
        return Keyring(keys, data["current"], _b64key(data["index_key"]))


@dataclass
class EnvironmentKeyProvider:
    """``XUEJI_DATA_KEYS="v1:aes-gcm:<base64>,v2:sm4-gcm:<base64>"``, ``XUEJI_DATA_KEY_CURRENT`` (default: the
    last listed) and ``XUEJI_INDEX_KEY="<base64>"``."""

    environ: Mapping[str, str]

    def load(self) -> Keyring:
        keys: dict[str, DataKey] = {}
        for item in self.environ["XUEJI_DATA_KEYS"].split(","):
            version, cipher, secret = item.strip().split(":", 2)
            keys[version] = DataKey(version, cipher, _b64key(secret))
        current = self.environ.get("XUEJI_DATA_KEY_CURRENT") or list(keys)[-1]
        return Keyring(keys, current, _b64key(self.environ["XUEJI_INDEX_KEY"]))


def new_key_file(cipher: str = "aes-gcm") -> dict[str, Any]:
    return {
        "current": "v1",
        "keys": {"v1": {"cipher": cipher, "key": base64.b64encode(os.urandom(KEY_LENGTHS[cipher])).decode()}},
        "index_key": base64.b64encode(os.urandom(32)).decode(),
    }


def add_key_version(data: dict[str, Any], cipher: str) -> str:
    """Add a fresh key as the next version of a key file's contents and make it current; returns the version."""
    number = 1 + max(int(v.lstrip("v")) for v in data["keys"])
    version = f"v{number}"
    data["keys"][version] = {"cipher": cipher, "key": base64.b64encode(os.urandom(KEY_LENGTHS[cipher])).decode()}
    data["current"] = version
    return version


def _create_once(path: Path, data: Mapping[str, Any]) -> None:
    """Make the key file unless another process (web, worker and beat start together) made it first: linking
    refuses an existing name, so every process ends up with the same keys."""
    own = path.with_suffix(f".{os.getpid()}.new")
    write_key_file(own, data)
    try:
        os.link(own, path)
    except FileExistsError:
        pass
    finally:
        own.unlink()


def write_key_file(path: Path, data: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    with os.fdopen(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "w") as out:  # never readable
        out.write(json.dumps(data, indent=2))
    temporary.replace(path)  # atomic: a process re-reading the file never sees half of it


class _Installed:
    """The keyring of this process. A file provider is re-read when the file changes (checked at most once a
    second), so that a new current version reaches every running worker without a restart."""

    def __init__(self) -> None:
        self.provider: KeyProvider | None = None
        self.keyring: Keyring | None = None
        self.checked = 0.0
        self.mtime = 0.0
        self.lock = threading.Lock()

    def get(self) -> Keyring:
        keyring = self.keyring
        if keyring is not None and not isinstance(self.provider, FileKeyProvider):
            return keyring
        now = time.monotonic()
        if keyring is not None and now - self.checked < 1.0:
            return keyring
        with self.lock:
            if self.provider is None:
                self.provider = default_provider(os.environ)
            self.checked = now
            path = self.provider.path if isinstance(self.provider, FileKeyProvider) else None
            mtime = path.stat().st_mtime if path is not None and path.exists() else 0.0
            if self.keyring is None or mtime != self.mtime:
                self.keyring, self.mtime = self.provider.load(), mtime
                if path is not None:
                    self.mtime = path.stat().st_mtime
            return self.keyring


_INSTALLED = _Installed()


@dataclass
class PlainProvider:
    """Values stored as they are, blind indexes kept: only for bench/ to measure what encryption costs
    (XUEJI_ENCRYPTION=0); production refuses it."""

    inner: KeyProvider

    def load(self) -> Keyring:
        return replace(self.inner.load(), enabled=False)


def default_provider(environ: Mapping[str, str]) -> KeyProvider:
    """The environment's keys if set, else the key file (XUEJI_DATA_KEY_FILE, default instance/data_keys.json,
    made on first use)."""
    provider: KeyProvider
    if environ.get("XUEJI_DATA_KEYS"):
        provider = EnvironmentKeyProvider(environ)
    else:
        instance = Path(environ.get("XUEJI_INSTANCE_DIR") or Path(__file__).resolve().parent.parent / "instance")
        named = environ.get("XUEJI_DATA_KEY_FILE")
        provider = FileKeyProvider(Path(named) if named else instance / "data_keys.json", create=not named)
    if environ.get("XUEJI_ENCRYPTION", "1").lower() in {"0", "false", "no", "off"}:
        return PlainProvider(provider)
    return provider


def configured(environ: Mapping[str, str]) -> bool:
    """Whether the deployment names its keys (production refuses the key file made on first use)."""
    return bool(environ.get("XUEJI_DATA_KEYS") or environ.get("XUEJI_DATA_KEY_FILE"))


def install(provider: KeyProvider | None = None, *, keyring: Keyring | None = None) -> Keyring:
    """Use ``provider`` (or a fixed ``keyring``) in this process from now on; returns the keyring in force."""
    with _INSTALLED.lock:
        _INSTALLED.provider = provider
        _INSTALLED.keyring = keyring if keyring is not None else (provider.load() if provider else None)
        _INSTALLED.checked, _INSTALLED.mtime = time.monotonic(), 0.0
        if isinstance(provider, FileKeyProvider) and provider.path.exists():
            _INSTALLED.mtime = provider.path.stat().st_mtime
    return keyring_in_force()


def keyring_in_force() -> Keyring:
    return _INSTALLED.get()


def key_file_in_force() -> Path | None:
    """The key file this process reads its keys from (None: keys from the environment or a key service), for a
    process it starts that must open the same values."""
    keyring_in_force()
    provider = _INSTALLED.provider
    inner = provider.inner if isinstance(provider, PlainProvider) else provider
    return inner.path if isinstance(inner, FileKeyProvider) else None


def normalise_id(value: str | None) -> str:
    """An ID number as 查重 compares it (V-02): no spaces, half-width, upper case."""
    value = value or ""
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    return value.replace(" ", "").upper()


def id_index(value: str | None) -> str | None:
    """The blind index of an ID number: what every equality look-up by ID number compares."""
    return keyring_in_force().blind_index(normalise_id(value))


def number_kind(value: str | None) -> str | None:
    """The kind of a 全国学籍号 (L, G or J, §3.6): its first letter, which reveals nothing of the person."""
    return normalise_id(value)[:1] or None


def derived_columns(table: Table, keyring: Keyring) -> list[tuple[str, str, Callable[[str | None], str | None]]]:
    """(column, source column, how) of the columns a write fills from another's plain value: blind indexes
    (``info={"blind_index_of": source}``) and kinds (``info={"kind_of": source}``). The ORM, Core inserts and
    COPY all fill them through this."""

    def index(value: str | None) -> str | None:
        return keyring.blind_index(normalise_id(value))

    out: list[tuple[str, str, Callable[[str | None], str | None]]] = []
    for column in table.columns:
        if "blind_index_of" in column.info:
            out.append((column.name, column.info["blind_index_of"], index))
        elif "kind_of" in column.info:
            out.append((column.name, column.info["kind_of"], number_kind))
    return out


class Encrypted(TypeDecorator[str]):
    """A text column stored sealed: ORM and Core statements alike encrypt on the way in and decrypt on the way
    out. Only equality with NULL is meaningful in SQL; compare through the blind index instead."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring_in_force().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring_in_force().decrypt(value)


class EncryptedKeysJSON(TypeDecorator[dict[str, Any]]):
    """A JSON object whose named keys are sealed one by one: the others stay readable by SQL (reports count
    留守儿童 and disability types in the database) while addresses and phone numbers do not."""

    impl = JSON
    cache_ok = True

    def __init__(self, sealed_keys: Iterable[str]) -> None:
        super().__init__()
        self.sealed_keys = tuple(sealed_keys)

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> dict[str, Any] | None:
        if not value:
            return value
        keyring = keyring_in_force()
        return {k: keyring.encrypt(v) if k in self.sealed_keys and isinstance(v, str) else v for k, v in value.items()}

    def process_result_value(self, value: dict[str, Any] | None, dialect: Dialect) -> dict[str, Any] | None:
        if not value:
            return value
        keyring = keyring_in_force()
        return {k: keyring.decrypt(v) if k in self.sealed_keys and isinstance(v, str) else v for k, v in value.items()}


def sealed_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if isinstance(c.type, Encrypted | EncryptedKeysJSON)]


def seal_rows(table: Table, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Rows as SQLAlchemy would bind them, for a path that bypasses it (COPY): sealed columns encrypted and blind
    indexes filled from the plain values."""
    keyring = keyring_in_force()
    plain = [c.name for c in table.columns if isinstance(c.type, Encrypted)]
    keyed = [(c.name, c.type.sealed_keys) for c in table.columns if isinstance(c.type, EncryptedKeysJSON)]
    derived = derived_columns(table, keyring)
    encrypt = keyring.encrypt
    for row in rows:
        out = dict(row)
        for name, source, derive in derived:
            if source in row:
                out[name] = derive(row[source])
        for name in plain:
            value = out.get(name)
            if value:
                out[name] = encrypt(value)
        for name, keys in keyed:
            value = out.get(name)
            if value:
                out[name] = {k: encrypt(v) if k in keys and isinstance(v, str) else v for k, v in value.items()}
        yield out


def stored_lengths(plain_length: int) -> list[int]:
    """The lengths a value of ``plain_length`` ASCII characters can have as stored: as it is (not yet sealed), or
    sealed under any configured version (the cipher adds a fixed nonce and tag, base64 a fixed ratio)."""
    body = 4 * -(-(NONCE + plain_length + TAG) // 3)
    return sorted({plain_length} | {len(version) + 1 + body for version in keyring_in_force().keys})
