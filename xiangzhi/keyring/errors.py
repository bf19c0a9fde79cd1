from xiangzhi.core.errors import Conflict


class KeyringError(Conflict):
    """A key operation refused as things stand: a rotation already running, a sheet already exported."""
