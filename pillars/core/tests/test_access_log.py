"""The web server's access log names paths, never query strings or referring pages: a person
search carries part of a name in its query string, and the log outlives the session."""

from __future__ import annotations

import runpy
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import Logger

from pillars.core.management.commands.serve import GUNICORN_CONFIG, web_command


def test_the_served_access_log_leaves_out_the_search_words() -> None:
    config = Config()
    config.set("access_log_format", runpy.run_path(str(GUNICORN_CONFIG))["access_log_format"])
    logger = Logger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/people/persons/?q=Rivera",
        "PATH_INFO": "/people/persons/",
        "QUERY_STRING": "q=Rivera",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_REFERER": "https://pillars.example.org/people/persons/?q=Riv",
    }
    response = SimpleNamespace(status="200 OK", sent=1234, headers=[])
    atoms = logger.atoms(response, [], environ, timedelta(milliseconds=21))
    line = config.access_log_format % atoms
    assert '"GET /people/persons/" 200 1234 21ms' in line
    assert "10.0.0.7" in line
    assert "Riv" not in line


def test_pillars_serve_runs_gunicorn_with_that_config() -> None:
    command = web_command("127.0.0.1", 8000, 2)
    assert command[command.index("--config") + 1] == str(GUNICORN_CONFIG)
    assert GUNICORN_CONFIG.exists()
