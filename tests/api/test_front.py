"""The request path in front of the routes is one ASGI layer (issue 21): what the write path does not spend."""
from __future__ import annotations

from api.main import create_app
from domain.application.settings import Settings


def test_one_layer_stands_between_the_server_and_the_routes() -> None:
    # Each middleware is one more coroutine, closure and header scan per request; five of them did one job.
    app = create_app(Settings())
    assert [m.cls.__name__ for m in app.user_middleware] == ["Front"]
