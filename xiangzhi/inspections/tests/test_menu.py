import pytest

pytestmark = pytest.mark.django_db


def test_every_menu_entry_and_tab_of_the_inspector_opens(client, c):
    client.force_login(c.users["inspector"])
    page = client.get("/inspections/").content.decode()
    for label in ("每月排查", "排查整改"):
        assert label in page
    for url in ("/inspections/", "/inspections/tasks/", "/inspections/board/", "/cases/inbox/", "/cases/",
                "/accounts/me/"):
        assert client.get(url).status_code == 200, url
    assert 'href="/inspections/board/"' in page  # the 督办 tab


def test_the_cadre_finds_his_tasks_in_the_menu(client, c):
    client.force_login(c.users["village_cadre"])
    assert "/inspections/tasks/" in client.get("/").content.decode()
