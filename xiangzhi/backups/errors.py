from xiangzhi.core.errors import Conflict


class BackupError(Conflict):
    """A backup that did not complete; its run is recorded as failed with this message."""

    code = "backup_failed"


class RestoreRefused(Conflict):
    """A restore refused before anything was written: wrong key, newer schema, a target not empty,
    a damaged archive."""

    code = "restore_refused"
