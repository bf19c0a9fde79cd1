from dataclasses import dataclass

import pytest

from xiangzhi.open311.models import Open311Client
from xiangzhi.open311.services import open311_client_create


@dataclass
class Issued:
    client: Open311Client
    key: str


@pytest.fixture
def hotline(county):
    """A client whose scope is 下洼镇 (town_a)."""
    return Issued(*open311_client_create(name="12345热线平台", region=county.town_a))


@pytest.fixture
def other_client(county):
    """A client whose scope is 古城镇 (town_b)."""
    return Issued(*open311_client_create(name="古城镇小程序", region=county.town_b))

