"""What the key ring looks like now, for ``keys status`` and the county admin's status page."""

import datetime as dt
from dataclasses import dataclass

from xiangzhi.keyring.models import KeyRotation, KeySheet
from xiangzhi.lib import keys


@dataclass(frozen=True)
class KeyVersion:
    version: int
    key_id: str
    current: bool
    from_setting: bool  # version 1 read from the DATA_KEY setting rather than a ring file
    sheet_exported_at: dt.datetime | None
    sheet_exported_by: str


@dataclass(frozen=True)
class RotationProgress:
    from_version: int
    to_version: int | None
    done: int
    total: int
    percent: float
    started_at: dt.datetime
    started_by: str
    runner: str
    beat_at: dt.datetime | None


@dataclass(frozen=True)
class KeysStatus:
    current_version: int
    current_key_id: str
    versions: list[KeyVersion]  # current first
    lookup_key_id: str
    lookup_kept: bool  # kept as lookup.key (else derived from v1, which then cannot be retired)
    rotation: RotationProgress | None  # the rotation in progress
    last_rotation: KeyRotation | None  # the last one finished
    sheet_exported: bool  # for the current version
    sheet_exported_at: dt.datetime | None
    sheet_exported_by: str


def rotation_percent(rotation: KeyRotation) -> float:
    if rotation.finished_at is not None:
        return 100.0
    if rotation.total <= 0:
        return 100.0 if rotation.to_version else 0.0
    return round(min(rotation.done / rotation.total, 1.0) * 100, 1)


def keys_status() -> KeysStatus:
    ring = keys.ring(fresh=True)
    sheets = {s.version: s for s in KeySheet.objects.filter(version__in=list(ring.keys))}
    versions = [
        KeyVersion(v, ring.keys[v].id, v == ring.current.version, ring.keys[v].legacy,
                   sheets[v].exported_at if v in sheets else None, sheets[v].exported_by if v in sheets else "")
        for v in ring.versions()
    ]
    active = KeyRotation.objects.filter(active=True).first()
    progress = None if active is None else RotationProgress(
        active.from_version, active.to_version, active.done, active.total, rotation_percent(active),
        active.started_at, active.started_by, active.runner, active.beat_at)
    current = versions[0]
    return KeysStatus(
        current_version=current.version, current_key_id=current.key_id, versions=versions,
        lookup_key_id=ring.lookup_id, lookup_kept=ring.lookup_kept, rotation=progress,
        last_rotation=KeyRotation.objects.filter(finished_at__isnull=False).order_by("-finished_at").first(),
        sheet_exported=current.sheet_exported_at is not None, sheet_exported_at=current.sheet_exported_at,
        sheet_exported_by=current.sheet_exported_by,
    )
