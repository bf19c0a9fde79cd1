"""Test data, built through the real services wherever a service exists."""

import datetime as dt
import itertools
from dataclasses import dataclass

import factory
from django.contrib.auth.models import Group, Permission

from xiangzhi.accounts.models import Role, User
from xiangzhi.lib import idnumber
from xiangzhi.people.services import ResidentInput, household_create
from xiangzhi.regions.models import Department, Region
from xiangzhi.regions.services import grid_assign, grid_create, region_path

PASSWORD = "Xz-test-pass-2026"
_id_seq = itertools.count(1)


def next_id_number(birth: dt.date = dt.date(1970, 5, 17), sex: str = "M") -> str:
    """A fresh valid ID number; the sequence digit's parity carries the sex."""
    n = next(_id_seq)
    seq = (n * 2 + (1 if sex == "M" else 0)) % 1000 or 1
    return idnumber.make("371603", birth + dt.timedelta(days=n // 400), seq)


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]],
    }


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"9{n:05d}")
    name = factory.Sequence(lambda n: f"区域{n}")
    level = "county"
    parent = None
    path = factory.LazyAttribute(lambda o: region_path(o.parent, o.code))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试{n}")
    role = Role.RESIDENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


def make_household(grid, *, size: int = 3, head: str = "张建国"):
    members = [ResidentInput(name=head, id_number=next_id_number(), relation="head", phone="13800138000")]
    relations = ["spouse", "child", "child", "parent"]
    for i in range(size - 1):
        members.append(
            ResidentInput(name=f"{head[0]}成员{i}", id_number=next_id_number(sex="F" if i % 2 == 0 else "M"),
                          relation=relations[i % len(relations)])
        )
    return household_create(grid=grid, residents=members, address="测试村1组1号")


def grant_reveal(user):
    group, _ = Group.objects.get_or_create(name="证件查看")
    group.permissions.add(Permission.objects.get(codename="reveal_identity"))
    user.groups.add(group)
    return User.objects.get(pk=user.pk)  # fresh object: permission cache


# The roles of the small county, one account each (the access matrix's columns).
ALL_ROLES = ["county_admin", "township_staff", "township_staff_b", "department_staff", "village_cadre",
             "points_recorder", "points_supervisor", "grid_chief", "grid_worker", "grid_worker_b", "grid_guide",
             "resident", "inspector"]


@dataclass
class SmallCounty:
    """Two townships, three villages, five grids (a micro-grid inside grid_a1; grid_a2 has only a guide and
    grid_b1_unstaffed nobody, so both are 一格一人 alerts), households and one account per role (the
    督查员 ``inspector`` stands on town_a)."""

    county: Region
    town_a: Region
    town_b: Region
    village_a1: Region
    village_a2: Region
    village_b1: Region
    grid_a1: object
    grid_a1_micro: object
    grid_a2: object
    grid_b1: object
    grid_b1_unstaffed: object
    department: Department
    users: dict
    households: dict


def build_small_county() -> SmallCounty:
    county = RegionFactory(code="371603", name="沾化区", level="county")
    town_a = RegionFactory(code="371603101", name="下洼镇", level="township", parent=county)
    town_b = RegionFactory(code="371603102", name="古城镇", level="township", parent=county)
    village_a1 = RegionFactory(code="371603101001", name="东村", level="village", parent=town_a)
    village_a2 = RegionFactory(code="371603101002", name="西村", level="village", parent=town_a)
    village_b1 = RegionFactory(code="371603102001", name="南村", level="village", parent=town_b)

    grid_a1 = grid_create(region=village_a1, name="东村第一网格", boundary=square(118.00, 37.70, 0.02))
    grid_a1_micro = grid_create(region=village_a1, name="东村一组微网格", level=4, parent=grid_a1,
                                boundary=square(118.00, 37.70, 0.01))
    grid_a2 = grid_create(region=village_a2, name="西村第一网格", boundary=square(118.05, 37.70, 0.02))
    grid_b1 = grid_create(region=village_b1, name="南村第一网格", boundary=square(118.10, 37.70, 0.02))
    grid_b1_unstaffed = grid_create(region=village_b1, name="南村第二网格", boundary=square(118.12, 37.70, 0.02))
    department = Department.objects.create(code="371603101-power", name="下洼供电所", kind="power", region=town_a)

    users = {
        "county_admin": UserFactory(username="admin", role=Role.COUNTY_ADMIN, region=county),
        "township_staff": UserFactory(username="town_a", role=Role.TOWNSHIP_STAFF, region=town_a),
        "township_staff_b": UserFactory(username="town_b", role=Role.TOWNSHIP_STAFF, region=town_b),
        "department_staff": UserFactory(username="dept", role=Role.DEPARTMENT_STAFF, department=department),
        "village_cadre": UserFactory(username="cadre_a1", role=Role.VILLAGE_CADRE, region=village_a1),
        "points_recorder": UserFactory(username="recorder_a1", role=Role.POINTS_RECORDER, region=village_a1),
        "points_supervisor": UserFactory(username="supervisor_a1", role=Role.POINTS_SUPERVISOR, region=village_a1),
        "grid_chief": UserFactory(username="chief_a1", role=Role.GRID_CHIEF),
        "grid_worker": UserFactory(username="worker_a1", role=Role.GRID_WORKER),
        "grid_worker_b": UserFactory(username="worker_b1", role=Role.GRID_WORKER),
        "grid_guide": UserFactory(username="guide", role=Role.GRID_GUIDE),
        # 督查员 of 下洼镇: the monthly inspection of its villages (每月排查).
        "inspector": UserFactory(username="inspector_a", role=Role.INSPECTOR, region=town_a),
    }
    grid_assign(grid=grid_a1, user=users["grid_chief"], duty="chief")
    grid_assign(grid=grid_a1, user=users["grid_worker"], duty="full_time")
    grid_assign(grid=grid_b1, user=users["grid_worker_b"], duty="full_time")
    grid_assign(grid=grid_a2, user=users["grid_guide"], duty="guide")

    households = {
        "a1": make_household(grid_a1, head="张建国"),
        "a1_micro": make_household(grid_a1_micro, head="李秀英"),
        "a2": make_household(grid_a2, head="王德福"),
        "b1": make_household(grid_b1, head="赵永刚"),
    }
    users["resident"] = UserFactory(username="villager", role=Role.RESIDENT, household=households["a1"])
    return SmallCounty(county, town_a, town_b, village_a1, village_a2, village_b1, grid_a1, grid_a1_micro, grid_a2,
                       grid_b1, grid_b1_unstaffed, department, users, households)


def install_points_rulebooks(*townships, days_back: int = 365) -> dict:
    """The default points rulebook for each township, in force from ``days_back`` days ago; code → rule
    per township code."""
    from django.utils import timezone

    from xiangzhi.points.services import rulebook_install

    out = {}
    for town in townships:
        book = rulebook_install(township=town, effective_from=timezone.localdate() - dt.timedelta(days=days_back))
        out[town.code] = {r.code: r for r in book.rules.select_related("category")}
    return out


def jpeg_photo(size=(64, 48)):
    """A processed photo, as the pages and the API hand it to services."""
    import io

    from PIL import Image

    from xiangzhi.lib.photos import process

    buf = io.BytesIO()
    Image.new("RGB", size, (120, 160, 90)).save(buf, "JPEG")
    return process(buf.getvalue())
