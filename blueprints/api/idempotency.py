"""Idempotency-Key on POST /api/v1/cases: a caller that lost an answer (a timeout, a server restart) sends the same
request again with the same key and gets the case the first request registered, never a second case.

Keys are the caller's own (per user), 1–200 visible ASCII characters; the same key with a different body is refused.
"""
from __future__ import annotations

import hashlib
import json
import re

from sqlalchemy import select

from models import Petition, RegistrationKey, db

HEADER = "Idempotency-Key"
KEY = re.compile(r"[\x21-\x7e]{1,200}")


def well_formed(key: str) -> bool:
    return KEY.fullmatch(key) is not None


def body_digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def earlier_registration(user_id: int, key: str) -> RegistrationKey | None:
    return db.session.scalar(select(RegistrationKey).where(RegistrationKey.user_id == user_id,
                                                           RegistrationKey.key == key))


def remember(user_id: int, key: str, digest: str, petition: Petition) -> None:
    db.session.add(RegistrationKey(user_id=user_id, key=key, body_digest=digest, petition=petition))
