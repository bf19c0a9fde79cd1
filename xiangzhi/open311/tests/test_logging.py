"""An Open311 client's api_key in the query string is written to no log: not Django's request and
server loggers, not gunicorn's access line."""

import datetime as dt
import logging
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

from xiangzhi.open311.tests.wire import IN_A1_MICRO


@pytest.mark.django_db
def test_an_api_key_in_the_query_string_is_scrubbed_from_the_request_log_lines(client, hotline, caplog):
    secret = hotline.key
    lon, lat = IN_A1_MICRO
    with caplog.at_level(logging.INFO):
        response = client.post(f"/open311/v2/requests.json?api_key={secret}",
                               urlencode({"service_code": "nope", "lat": lat, "long": lon}),
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400
        [record] = [r for r in caplog.records if r.name == "django.request"]
        assert record.levelname == "WARNING" and "/open311/v2/requests.json" in record.getMessage()
        # The development server logs the request line as the client sent it, query string included.
        request_line = f"{record.request.method} {record.request.get_full_path()} HTTP/1.1"
        assert secret in request_line
        logging.getLogger("django.server").info('"%s" %s %s', request_line, 400, 0)
    [server] = [r for r in caplog.records if r.name == "django.server"]
    assert server.getMessage() == '"POST /open311/v2/requests.json?api_key=*** HTTP/1.1" 400 0'
    assert secret not in caplog.text


def test_gunicorns_access_line_has_the_path_without_the_query_string():
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    from xiangzhi.system.management.commands.serve import web_command

    command = web_command("127.0.0.1:8000", 1, 1)
    fmt = command[command.index("--access-logformat") + 1]
    environ = {"REQUEST_METHOD": "POST", "RAW_URI": "/open311/v2/requests.json?api_key=o311_SECRET",
               "PATH_INFO": "/open311/v2/requests.json", "QUERY_STRING": "api_key=o311_SECRET",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
    response = SimpleNamespace(status="400 Bad Request", sent=52, headers=[])
    atoms = Logger(Config()).atoms(response, SimpleNamespace(headers=[]), environ, dt.timedelta(milliseconds=5))
    line = fmt % atoms
    assert "o311_SECRET" not in line and '"POST /open311/v2/requests.json HTTP/1.1" 400 52' in line
