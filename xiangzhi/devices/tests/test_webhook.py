import datetime as dt
import io
import json
import time

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from xiangzhi.cases.models import Case, Channel, HandlingLevel, IdempotencyRecord
from xiangzhi.devices.models import DeviceSource
from xiangzhi.devices.services import device_source_create, device_source_rotate, sign

URL = "/api/v1/webhooks/device"
IN_A1_MICRO = (118.005, 37.705)
IN_B1 = (118.105, 37.705)


@pytest.fixture
def source(county):
    """A township's smoke-detector platform, registered through the command as an operator would."""
    out = io.StringIO()
    call_command("device_source", "--name", "xiawa-smoke", "--region", county.town_a.code, stdout=out)
    secret = out.getvalue().splitlines()[2]
    return DeviceSource.objects.get(name="xiawa-smoke"), secret


def alarm(**overrides) -> dict:
    body = {"source": "xiawa-smoke", "device_id": "SD-0042", "alarm_type": "livelihood_power",
            "title": "配电箱断电告警", "lon": IN_A1_MICRO[0], "lat": IN_A1_MICRO[1],
            "occurred_at": "2026-03-05T09:30:00+08:00", "event_id": "evt-1"}
    body.update(overrides)
    return body


def post(client, body, secret, *, timestamp=None, signature=None):
    raw = json.dumps(body, ensure_ascii=False).encode() if isinstance(body, dict) else body
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    headers = {"X-Xiangzhi-Timestamp": timestamp,
               "X-Xiangzhi-Signature": signature if signature is not None else sign(secret, timestamp, raw)}
    return client.post(URL, raw, content_type="application/json", headers=headers)


def assert_nothing_written():
    assert Case.objects.count() == 0 and IdempotencyRecord.objects.count() == 0


@pytest.mark.django_db
def test_a_signed_alarm_becomes_a_case_routed_by_location(client, county, source):
    src, secret = source
    response = post(client, alarm(), secret)
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get()
    assert body["number"] == case.number and body["created"] is True
    assert body["grid_code"] == county.grid_a1_micro.code and body["region_code"] == county.village_a1.code
    assert case.channel == Channel.DEVICE and case.category.code == "livelihood_power"
    assert case.handling_level == HandlingLevel.DEPARTMENT  # the category's level, as for any report
    assert case.assignee_department == county.department
    assert case.reporter is None and case.reporter_name == "xiawa-smoke/SD-0042"
    assert case.created_at == dt.datetime(2026, 3, 5, 1, 30, tzinfo=dt.UTC)
    assert "SD-0042" in case.description and case.title == "配电箱断电告警"
    assert IdempotencyRecord.objects.get().owner == "device:xiawa-smoke"
    src.refresh_from_db()
    assert src.last_alarm_at is not None


@pytest.mark.django_db
def test_a_retried_alarm_returns_the_same_case_and_a_changed_one_conflicts(client, county, source):
    _, secret = source
    first = post(client, alarm(), secret)
    again = post(client, alarm(), secret)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"] and again.json()["created"] is False
    changed = post(client, alarm(title="另一条"), secret)
    assert changed.status_code == 409 and changed.json()["error"]["code"] == "idempotency_conflict"
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_defaults_without_type_title_time_or_place(client, county, source):
    _, secret = source
    body = {"source": "xiawa-smoke", "device_id": "WL-7", "event_id": "evt-2"}
    response = post(client, body, secret)
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.category.code == "device_alarm" and case.title == "设备告警：WL-7"
    assert case.grid is None and case.region == county.town_a  # the source's township triage queue
    assert abs(case.created_at - timezone.now()) < dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_a_bad_signature_is_401_and_writes_nothing(client, county, source):
    _, secret = source
    cases = [
        post(client, alarm(), secret, signature="sha256=" + "0" * 64),
        post(client, alarm(), "not-the-secret"),
        post(client, alarm(), secret, signature=""),
        post(client, alarm(), secret, timestamp=""),
    ]
    raw = json.dumps(alarm()).encode()
    ts = str(int(time.time()))
    tampered = raw.replace(b"SD-0042", b"SD-9999")
    cases.append(client.post(URL, tampered, content_type="application/json",
                             headers={"X-Xiangzhi-Timestamp": ts, "X-Xiangzhi-Signature": sign(secret, ts, raw)}))
    for response in cases:
        assert response.status_code == 401, response.content
        assert response.json()["error"]["code"] == "bad_signature"
    assert_nothing_written()


@pytest.mark.django_db
def test_a_stale_or_future_timestamp_is_refused_as_a_replay(client, county, source):
    _, secret = source
    old = str(int(time.time()) - 6 * 60)
    stale = post(client, alarm(), secret, timestamp=old)
    assert stale.status_code == 401 and stale.json()["error"]["code"] == "stale_timestamp"
    ahead = post(client, alarm(), secret, timestamp=str(int(time.time()) + 6 * 60))
    assert ahead.status_code == 401 and ahead.json()["error"]["code"] == "stale_timestamp"
    # The timestamp is signed: moving it forward on a captured request breaks the signature.
    raw = json.dumps(alarm()).encode()
    captured = sign(secret, old, raw)
    fresh = str(int(time.time()))
    moved = client.post(URL, raw, content_type="application/json",
                        headers={"X-Xiangzhi-Timestamp": fresh, "X-Xiangzhi-Signature": captured})
    assert moved.status_code == 401 and moved.json()["error"]["code"] == "bad_signature"
    assert post(client, alarm(), secret, timestamp=str(int(time.time()) - 4 * 60)).status_code == 201


@pytest.mark.django_db
def test_an_unknown_or_disabled_source_answers_exactly_as_a_bad_signature(client, county, source):
    src, secret = source
    same = {"error": {"code": "bad_signature", "message": "签名无效"}}
    bad = post(client, alarm(), "not-the-secret")
    unknown = post(client, alarm(source="nobody"), secret)
    src.is_active = False
    src.save(update_fields=["is_active"])
    disabled = post(client, alarm(), secret)
    for response in (bad, unknown, disabled):
        assert (response.status_code, response.json()) == (401, same)
    assert_nothing_written()


@pytest.mark.django_db
def test_a_rotated_secret_stops_the_old_one(client, county, source):
    src, old = source
    new = device_source_rotate(source=src)
    assert post(client, alarm(), old).status_code == 401
    assert post(client, alarm(), new).status_code == 201


@pytest.mark.django_db
def test_a_source_may_not_file_cases_outside_its_region(client, county, source):
    _, secret = source
    response = post(client, alarm(lon=IN_B1[0], lat=IN_B1[1]), secret)
    assert response.status_code == 422 and "不在数据源所属区域" in response.json()["error"]["message"]
    _, county_secret = device_source_create(name="county-water", region=county.county)
    body = alarm(source="county-water", lon=IN_B1[0], lat=IN_B1[1], alarm_type="livelihood_water")
    assert post(client, body, county_secret).status_code == 201
    assert Case.objects.get().grid == county.grid_b1


@pytest.mark.django_db
def test_bad_content_from_a_genuine_source_is_422(client, county, source):
    _, secret = source
    missing = post(client, {"source": "xiawa-smoke", "device_id": "SD-1"}, secret)
    assert missing.status_code == 422
    assert missing.json()["error"]["fields"] == [{"field": "event_id", "message": "必填"}]
    half = post(client, alarm(lat=None), secret)
    assert half.status_code == 422 and "同时提供" in half.json()["error"]["message"]
    unknown_type = post(client, alarm(alarm_type="ufo"), secret)
    assert unknown_type.status_code == 422 and "ufo" in unknown_type.json()["error"]["message"]
    future = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    assert post(client, alarm(occurred_at=future), secret).status_code == 422
    not_json = post(client, b"{not json", secret)
    assert not_json.status_code == 422 and not_json.json()["error"]["code"] == "invalid"
    assert post(client, b"x" * (65 * 1024), secret).status_code == 413
    assert_nothing_written()


@pytest.mark.django_db
def test_a_user_session_does_not_replace_the_signature(client, county, source):
    client.force_login(county.users["county_admin"])
    response = client.post(URL, json.dumps(alarm()), content_type="application/json")
    assert response.status_code == 401
    assert_nothing_written()


@pytest.mark.django_db
def test_the_command_registers_once_keeps_the_secret_encrypted_and_rotates(county, source):
    src, secret = source
    assert secret not in src.secret_encrypted and src.secret_encrypted.startswith("v1:")
    assert len(secret) >= 40
    with pytest.raises(CommandError, match="已存在"):
        call_command("device_source", "--name", "xiawa-smoke", "--region", county.town_a.code, stdout=io.StringIO())
    with pytest.raises(CommandError, match="不存在"):
        call_command("device_source", "--name", "other", "--region", "999", stdout=io.StringIO())
    out = io.StringIO()
    call_command("device_source", "--name", "xiawa-smoke", "--rotate", stdout=out)
    assert out.getvalue().splitlines()[2] != secret


@pytest.mark.django_db
def test_the_admin_lists_sources_in_scope_and_never_shows_the_secret(client, county, source):
    from xiangzhi.accounts.models import User

    src, secret = source
    device_source_create(name="b-water", region=county.town_b)
    admin = User.objects.create_superuser("root", password="Xz-test-pass-2026")
    client.force_login(admin)
    listing = client.get("/admin/devices/devicesource/").content.decode()
    assert "xiawa-smoke" in listing and "b-water" in listing
    detail = client.get(f"/admin/devices/devicesource/{src.pk}/change/").content.decode()
    assert secret not in detail and src.secret_encrypted not in detail
