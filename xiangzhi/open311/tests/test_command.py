import io

import pytest
from django.core.management import CommandError, call_command

from xiangzhi.open311.models import Open311Client
from xiangzhi.open311.tests.wire import body, post_form


@pytest.mark.django_db
def test_the_command_issues_a_key_shown_once_and_stores_only_its_digest(client, county):
    out = io.StringIO()
    call_command("open311_key", name="12345热线平台", region=county.town_a.code, stdout=out)
    lines = out.getvalue().strip().splitlines()
    key = lines[-1]
    assert key.startswith("o311_") and "只显示这一次" in lines[1] and "下洼镇（371603101）" in lines[0]
    issued = Open311Client.objects.get()
    assert (issued.name, issued.region, issued.is_active) == ("12345热线平台", county.town_a, True)
    assert issued.key_digest == Open311Client.digest_of(key) and key not in issued.key_digest
    filed = post_form(client, {"api_key": key, "service_code": "road_light", "lat": 37.705, "long": 118.005})
    assert filed.status_code == 201 and body(filed)[0]["service_request_id"]


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_region_or_an_empty_name(county):
    with pytest.raises(CommandError, match="没有区划代码为 999 的行政区域"):
        call_command("open311_key", name="x", region="999", stdout=io.StringIO())
    with pytest.raises(CommandError, match="请填写客户端名称"):
        call_command("open311_key", name="  ", region=county.town_a.code, stdout=io.StringIO())
    assert Open311Client.objects.count() == 0
