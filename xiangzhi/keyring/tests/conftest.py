import pytest

from tests.factories import RegionFactory, UserFactory, make_household, square
from xiangzhi.accounts.models import Role
from xiangzhi.devices.services import device_source_create
from xiangzhi.keyring.services import encrypted_tables
from xiangzhi.lib import crypto
from xiangzhi.regions.services import grid_create


@pytest.fixture(autouse=True)
def ring_dir(settings, tmp_path):
    """Each test its own key directory: the legacy key (DATA_KEY) is v1, nothing else yet."""
    settings.KEY_DIR = tmp_path / "keys"
    settings.BACKUP_KEY = ""
    return settings.KEY_DIR


@pytest.fixture
def sealed(db):
    """Encrypted values in three tables: residents (ID numbers, phones), accounts (phones), a device source."""
    county = RegionFactory(code="371603", level="county")
    town = RegionFactory(code="371603101", level="township", parent=county)
    village = RegionFactory(code="371603101001", level="village", parent=town)
    grid = grid_create(region=village, name="第一网格", boundary=square(118.0, 37.7))
    for head in ("张建国", "李秀英", "王德福"):
        make_household(grid, head=head, size=3)
    for n in range(3):
        user = UserFactory(role=Role.GRID_WORKER, region=village)
        user.phone = f"1370000{n:04d}"
        user.save(update_fields=["phone_encrypted", "phone_hash", "phone_masked"])
    device_source_create(name="烟感平台", region=town)
    return village


def stored() -> dict[tuple[str, object, str], str]:
    """Every encrypted value in the database: (table, primary key, column) → stored token."""
    found = {}
    for table in encrypted_tables():
        for row in table.rows().values("pk", *table.fields):
            for field in table.fields:
                if row[field]:
                    found[(table.label, row["pk"], field)] = row[field]
    return found


def plain() -> dict[tuple[str, object, str], str]:
    """Every encrypted value decrypted: raises if any cannot be read."""
    return {where: crypto.decrypt(token) for where, token in stored().items()}


def versions() -> set[int]:
    return {crypto.token_version(token) for token in stored().values()}
