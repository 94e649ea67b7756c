"""Fault injection for the sandbox: `--faults seed=7,lose=0.1,503=0.05,...`.

Each fault kind draws from its own random stream seeded from `seed`, so the same
spec and the same sequence of requests give the same faults, and adding one kind
does not move another kind's pattern.

| part | effect |
|---|---|
| `seed=N` | the seed of every stream (default 0) |
| `lose=P` | with probability P a request is carried out and committed, then the connection is closed without a reply |
| `503=P` | with probability P a request is refused with 503 SERVER_UNAVAILABLE before anything is done |
| `latency=50ms` | every request waits this long first (`ms` or `s`) |
| `expire=every:N` | every N-th request invalidates the access tokens issued by sign-in (refresh works; a `--token` never expires) |
| `lock=P` | each record written fails with UNABLE_TO_LOCK_ROW with probability P |
| `limit=after:N` | requests after the N-th get 403 REQUEST_LIMIT_EXCEEDED |
| `reject=Field:value` | records whose Field equals value fail FIELD_CUSTOM_VALIDATION_EXCEPTION (may repeat) |
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


class FaultSpecError(ValueError):
    pass


@dataclass
class FaultSpec:
    seed: int = 0
    lose: float = 0.0
    unavailable: float = 0.0
    latency_ms: float = 0.0
    expire_every: int = 0
    lock: float = 0.0
    limit_after: int = 0
    reject: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str | None) -> FaultSpec:
        spec = cls()
        for part in (p.strip() for p in (text or "").split(",")):
            if not part:
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not sep or not value:
                raise FaultSpecError(f"fault {part!r} needs a value, like lose=0.1")
            if key == "seed":
                spec.seed = _integer(part, value)
            elif key == "lose":
                spec.lose = _probability(part, value)
            elif key in ("503", "unavailable"):
                spec.unavailable = _probability(part, value)
            elif key == "lock":
                spec.lock = _probability(part, value)
            elif key == "latency":
                spec.latency_ms = _duration_ms(part, value)
            elif key == "expire":
                spec.expire_every = _integer(part, _after_prefix(part, value, "every"), minimum=1)
            elif key == "limit":
                spec.limit_after = _integer(part, _after_prefix(part, value, "after"), minimum=1)
            elif key == "reject":
                name, colon, wanted = value.partition(":")
                if not colon or not _FIELD.match(name):
                    raise FaultSpecError(f"fault {part!r}: write reject=FieldName:value, like reject=Subject:Bad")
                spec.reject.append((name, wanted))
            else:
                raise FaultSpecError(
                    f"unknown fault {key!r} in {part!r}: use seed, lose, 503, latency, expire, lock, limit or reject"
                )
        return spec

    def __str__(self) -> str:
        parts = [f"seed={self.seed}"]
        if self.lose:
            parts.append(f"lose={self.lose:g}")
        if self.unavailable:
            parts.append(f"503={self.unavailable:g}")
        if self.latency_ms:
            parts.append(f"latency={self.latency_ms:g}ms")
        if self.expire_every:
            parts.append(f"expire=every:{self.expire_every}")
        if self.lock:
            parts.append(f"lock={self.lock:g}")
        if self.limit_after:
            parts.append(f"limit=after:{self.limit_after}")
        parts.extend(f"reject={name}:{value}" for name, value in self.reject)
        return ",".join(parts)


def _integer(part: str, value: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except ValueError:
        raise FaultSpecError(f"fault {part!r}: {value!r} is not a whole number") from None
    if number < minimum:
        raise FaultSpecError(f"fault {part!r}: the number must be at least {minimum}")
    return number


def _probability(part: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise FaultSpecError(f"fault {part!r}: {value!r} is not a probability like 0.05") from None
    if not 0.0 <= number <= 1.0:
        raise FaultSpecError(f"fault {part!r}: a probability is between 0 and 1")
    return number


def _duration_ms(part: str, value: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s)?", value)
    if not match:
        raise FaultSpecError(f"fault {part!r}: write a duration like 50ms or 0.2s")
    number = float(match.group(1))
    return number * 1000 if match.group(2) == "s" else number


def _after_prefix(part: str, value: str, word: str) -> str:
    prefix = word + ":"
    if not value.startswith(prefix):
        raise FaultSpecError(f"fault {part!r}: write {part.split('=')[0]}={word}:N")
    return value[len(prefix):]


class Faults:
    """The spec in force, its random streams and what it has done so far."""

    def __init__(self, spec: FaultSpec | None = None):
        self.reset(spec or FaultSpec())

    def reset(self, spec: FaultSpec) -> None:
        self.spec = spec
        self._streams = {kind: random.Random(f"{spec.seed}/{kind}") for kind in ("lose", "503", "lock")}
        self.requests = 0
        self.counts = {"lost": 0, "unavailable": 0, "expired": 0, "locked": 0, "limited": 0, "rejected": 0}

    def next_request(self) -> int:
        self.requests += 1
        return self.requests

    def limited(self, n: int) -> bool:
        hit = bool(self.spec.limit_after) and n > self.spec.limit_after
        self.counts["limited"] += hit
        return hit

    def expires(self, n: int) -> bool:
        every = self.spec.expire_every
        hit = bool(every) and n % every == 0
        self.counts["expired"] += hit
        return hit

    def _draw(self, kind: str, probability: float) -> bool:
        return self._streams[kind].random() < probability

    def draw_request(self) -> tuple[bool, bool]:
        """(refuse with 503, lose the response) for the next request.

        Both are drawn for every request, even when one is not applied, so each
        kind's pattern depends only on the request count.
        """
        return self._draw("503", self.spec.unavailable), self._draw("lose", self.spec.lose)

    def lock(self) -> bool:
        hit = self._draw("lock", self.spec.lock)
        self.counts["locked"] += hit
        return hit

    def rejected_field(self, values: dict) -> str | None:
        """The field (canonical name in `values`) a reject rule matches, if any."""
        if not self.spec.reject:
            return None
        lowered = {k.lower(): k for k in values}
        for name, wanted in self.spec.reject:
            key = lowered.get(name.lower())
            if key is not None and _as_text(values[key]) == wanted:
                self.counts["rejected"] += 1
                return key
        return None


def _as_text(value) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return "" if value is None else str(value)
