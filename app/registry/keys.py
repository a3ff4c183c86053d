"""The registry key: an Ed25519 key pair that signs signatures, export manifests and audit anchors.

The private key lives outside the database (``<data_dir>/keys/registry-ed25519.pem``, mode
0600, created on first use), so someone who can write the database cannot forge a
signature or recompute the keyed audit chain. The public key is published in every
registry folder the store exports to, so anyone can verify a registry offline.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PRIVATE_NAME = "registry-ed25519.pem"
PUBLIC_NAME = "registry-ed25519.pub.pem"
_AUDIT_INFO = b"sopdraft audit chain v1"


class RegistryKey:
    """The registry's signing key and the audit-chain MAC key derived from it."""

    def __init__(self, private_key: Ed25519PrivateKey, keys_dir: Path | None = None) -> None:
        self._private = private_key
        self.keys_dir = keys_dir
        raw = private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
        self._mac_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_AUDIT_INFO).derive(raw)

    @classmethod
    def load_or_create(cls, keys_dir: Path) -> "RegistryKey":
        """The key in ``keys_dir``, created (mode 0600, folder 0700) if there is none yet."""
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = keys_dir / PRIVATE_NAME
        if not path.exists():
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            tmp = keys_dir / f".{PRIVATE_NAME}.{os.getpid()}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            try:
                os.link(tmp, path)  # never replaces a key another process created meanwhile
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return cls(key, keys_dir)

    def sign(self, data: bytes) -> str:
        """Base64 Ed25519 signature of ``data``."""
        return base64.b64encode(self._private.sign(data)).decode("ascii")

    def mac(self, text: str) -> str:
        """Hex HMAC-SHA256 of ``text`` under the audit-chain key."""
        return hmac.new(self._mac_key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def _boundary(self, db_path: Path | str) -> Path | None:
        """The marker file of a store: a SQLite file by its resolved path, a database by its URL."""
        if self.keys_dir is None:
            return None
        name = str(db_path.resolve()) if isinstance(db_path, Path) else db_path
        return self.keys_dir / f"audit-keyed-from-{hashlib.sha256(name.encode()).hexdigest()[:12]}"

    def keyed_from(self, db_path: Path | str) -> int | None:
        """The first audit row of ``db_path`` that was keyed (recorded outside the database), if known."""
        path = self._boundary(db_path)
        if path is None or not path.exists():
            return None
        seq, _, mac = path.read_text(encoding="ascii").strip().partition(" ")
        if not seq.isdigit() or not hmac.compare_digest(mac, self.mac(f"keyed-from {seq}")):
            return 1  # the marker was tampered with: require every row to be keyed
        return int(seq)

    def record_keyed_from(self, db_path: Path | str, seq: int) -> None:
        """Remember (once) that audit rows of ``db_path`` are keyed from ``seq`` on."""
        path = self._boundary(db_path)
        if path is None or path.exists():
            return
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(f"{seq} {self.mac(f'keyed-from {seq}')}\n", encoding="ascii")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)

    def public_key(self) -> Ed25519PublicKey:
        """The public half of the key (what signatures verify against)."""
        return self._private.public_key()

    def public_pem(self) -> bytes:
        """The public key as PEM (what a registry publishes)."""
        return self.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)

    def fingerprint(self) -> str:
        """Short id of the public key (first 16 hex of SHA-256 of its raw bytes)."""
        return public_fingerprint(self.public_key())


def public_fingerprint(public_key: Ed25519PublicKey) -> str:
    """Short id of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; ``ValueError`` if it is something else."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def verify_signature(public_key: Ed25519PublicKey, signature_b64: str, data: bytes) -> bool:
    """Whether ``signature_b64`` is a valid signature of ``data`` by ``public_key``."""
    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True
