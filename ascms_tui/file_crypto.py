"""Attached files encrypted alongside an encrypted database.

The copies in the files folder are encrypted with AES-256-GCM under one random
key per database (the "file key"). The file key is kept next to the database
in `<database>.filekey`, itself encrypted with a key derived from the
passphrase (scrypt), so changing the passphrase rewrites one small file, not
every attachment. GCM also proves a copy was not altered or swapped: the
record id is bound into each file's tag.

Converting a caseload (`encrypt_caseload`, `rekey_caseload`) prepares every new
file beside the old one (`.rekey`, `.filekey.new`) before the database's own
atomic rename, and finishes after it; whichever step an interruption stops,
the next use sorts it out (`_adopt` and `file_key`), so nothing is lost.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import weakref
from collections.abc import Iterable
from pathlib import Path

from .db_connect import (
    DatabaseAccessError,
    WrongPassphrase,
    encrypt_database,
    is_encrypted,
    rekey_database,
    verify_passphrase,
)
from .permissions import write_private_file

MAGIC = b"ASCMSF01"  # an encrypted attachment starts with this
NONCE_BYTES = 12
PENDING_SUFFIX = ".rekey"  # an attachment's encrypted copy, ready to replace it
KEY_FORMAT = "ascms-tui-filekey/1"
# scrypt's cost: about 0.1 s and 32 MB, once per session.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1

log = logging.getLogger(__name__)
_keys: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class FileKeyError(Exception):
    """The attachments' key cannot be read; the message is for the user."""


def key_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".filekey")


def _new_key_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".filekey.new")


# --- the file key ------------------------------------------------------------------


def _kek(passphrase: str, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(passphrase.encode("utf-8"))


def _wrap(key: bytes, passphrase: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(NONCE_BYTES)
    wrapped = AESGCM(_kek(passphrase, salt)).encrypt(nonce, key, KEY_FORMAT.encode())
    document = {"format": KEY_FORMAT, "kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
                **{name: base64.b64encode(value).decode() for name, value in
                   (("salt", salt), ("nonce", nonce), ("wrapped", wrapped))}}
    return json.dumps(document).encode()


def _unwrap(path: Path, passphrase: str) -> bytes | None:
    """The file key in `path`, or None when this passphrase does not open it."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    try:
        document = json.loads(path.read_bytes())
        salt, nonce, wrapped = (base64.b64decode(document[name]) for name in ("salt", "nonce", "wrapped"))
        kek = Scrypt(salt=salt, length=32, n=document["n"], r=document["r"], p=document["p"]).derive(
            passphrase.encode("utf-8"))
    except (ValueError, KeyError, TypeError) as error:
        raise FileKeyError(f"{path} is damaged ({type(error).__name__}); attached files cannot be opened") from None
    try:
        return AESGCM(kek).decrypt(nonce, wrapped, KEY_FORMAT.encode())
    except InvalidTag:
        return None


def file_key(db_path: Path, passphrase: str, *, create: bool = False) -> bytes | None:
    """The attachments' key of the encrypted database at `db_path` (None when it has none yet)."""
    current, pending = key_path(db_path), _new_key_path(db_path)
    if current.exists():
        key = _unwrap(current, passphrase)
        if key is not None:
            pending.unlink(missing_ok=True)  # left by a rekey stopped before the database changed
            return key
    if pending.exists():
        key = _unwrap(pending, passphrase)
        if key is not None:  # a rekey stopped after the database changed: finish it
            os.replace(pending, current)
            return key
    if current.exists():
        raise FileKeyError(f"The passphrase does not open {current}; attached files cannot be opened")
    if not create:
        return None
    key = secrets.token_bytes(32)
    temporary = write_private_file(current.with_name(f"{current.name}.{secrets.token_hex(4)}.new"), _wrap(key, passphrase))
    try:
        os.link(temporary, current)  # never replaces a key another process made first: its files need it
    except FileExistsError:
        return file_key(db_path, passphrase)
    finally:
        temporary.unlink()
    return key


def store_file_key(store, *, create: bool = False) -> bytes | None:
    """The file key for an open store (cached for the session); None when the store is not encrypted."""
    if store.passphrase is None:
        return None
    key = _keys.get(store)
    if key is None:
        key = file_key(store.path, store.passphrase, create=create)
        if key is not None:
            _keys[store] = key
    return key


# --- one attachment -----------------------------------------------------------------


def encrypt_bytes(key: bytes, record_id: str, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(NONCE_BYTES)
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, data, MAGIC + record_id.encode())


def decrypt_bytes(key: bytes, record_id: str, blob: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce, body = blob[len(MAGIC): len(MAGIC) + NONCE_BYTES], blob[len(MAGIC) + NONCE_BYTES:]
    try:
        return AESGCM(key).decrypt(nonce, body, MAGIC + record_id.encode())
    except InvalidTag:
        raise FileKeyError("An attached file does not match its record (altered, or from another case)") from None


def is_encrypted_blob(blob: bytes) -> bool:
    return blob.startswith(MAGIC)


def read_copy(path: Path, record_id: str, key: bytes | None) -> bytes:
    """The plain content of an attachment's copy at `path`, finishing an interrupted encryption."""
    _adopt(path, record_id, key)
    blob = path.read_bytes()
    if not is_encrypted_blob(blob):
        return blob
    if key is None:
        raise FileKeyError(f"{path.name} is encrypted, but the database is not open with a passphrase")
    return decrypt_bytes(key, record_id, blob)


def _adopt(path: Path, record_id: str, key: bytes | None) -> None:
    """An encrypted copy waiting beside `path` replaces it if the database's key opens it; else it is stale."""
    pending = path.with_name(path.name + PENDING_SUFFIX)
    if not pending.exists():
        return
    if key is not None:
        try:
            decrypt_bytes(key, record_id, pending.read_bytes())
        except FileKeyError:
            pass
        else:
            os.replace(pending, path)
            return
    pending.unlink()


# --- converting a caseload ---------------------------------------------------------


def encrypt_caseload(db_path: Path, passphrase: str, attachments: Iterable[tuple[str, Path]]) -> int:
    """Encrypt the database, its migration backups and its attached files. Returns the files encrypted.

    `attachments` are (record id, path of the copy) for every File record. Run
    again on an encrypted caseload, it finishes whatever an interruption left.
    """
    attachments = [(record_id, path) for record_id, path in attachments if path.exists()]
    if not is_encrypted(db_path):
        pending_key = _new_key_path(db_path)
        # Anything prepared by an earlier run that stopped before the database changed is stale.
        pending_key.unlink(missing_ok=True)
        for _, path in attachments:
            path.with_name(path.name + PENDING_SUFFIX).unlink(missing_ok=True)
        key = secrets.token_bytes(32)
        write_private_file(pending_key, _wrap(key, passphrase))
        for record_id, path in attachments:
            blob = path.read_bytes()
            if not is_encrypted_blob(blob):
                write_private_file(path.with_name(path.name + PENDING_SUFFIX), encrypt_bytes(key, record_id, blob))
        encrypt_database(db_path, passphrase)  # the point of no return
    elif not verify_passphrase(db_path, passphrase):
        raise WrongPassphrase(f"The passphrase does not open {db_path}")
    key = file_key(db_path, passphrase, create=True)
    encrypted = 0
    for record_id, path in attachments:
        _adopt(path, record_id, key)
        blob = path.read_bytes()
        if not is_encrypted_blob(blob):
            write_private_file(path, encrypt_bytes(key, record_id, blob))
        encrypted += 1
    for backup in _backups(db_path):
        if not is_encrypted(backup):
            encrypt_database(backup, passphrase)
    log.info("caseload encrypted with %d attached files", encrypted)
    return encrypted


def rekey_caseload(db_path: Path, old: str, new: str) -> None:
    """A new passphrase for the database, its key file and its migration backups."""
    if old == new:
        raise ValueError("The new passphrase is the same as the old one")
    key = file_key(db_path, old) if is_encrypted(db_path) else None
    pending_key = _new_key_path(db_path)
    if key is not None:
        write_private_file(pending_key, _wrap(key, new))
    # The point of no return; a key file left by a failure here is dropped at the next use (`file_key`).
    rekey_database(db_path, old, new)
    if key is not None:
        file_key(db_path, new)  # adopts the new key file
    for backup in _backups(db_path):
        try:
            rekey_database(backup, old, new)
        except (DatabaseAccessError, OSError) as error:  # an unreadable old backup must not undo a finished rekey
            log.warning("a migration backup was not rekeyed (%s)", type(error).__name__)
    log.info("caseload rekeyed")


def _backups(db_path: Path) -> list[Path]:
    return sorted(db_path.parent.glob(f"{db_path.name}.schema-*.bak"))
