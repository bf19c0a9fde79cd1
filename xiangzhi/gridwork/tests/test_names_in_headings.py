"""A heading names a person by name, never by login (issue 12, item 6)."""

import pytest

from xiangzhi.gridwork import services


@pytest.mark.django_db
def test_a_workers_patrol_list_is_headed_by_his_name_not_his_login(client, county):
    worker = county.users["grid_worker"]
    worker.full_name = "刘志强"
    worker.save(update_fields=["full_name"])
    services.patrol_start(worker=worker, grid=county.grid_a1)
    client.force_login(county.users["village_cadre"])
    page = client.get(f"/work/patrols/?worker={worker.username}").content.decode()
    heading = page[page.index("<h1"):page.index("</h1>")]
    assert "刘志强" in heading and worker.username not in heading
