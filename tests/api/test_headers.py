"""Security headers on the API's answers, and the configured tile host allowed for images only."""
from __future__ import annotations

import pytest

from conftest import World


@pytest.mark.embedded_only("headers are the same in both modes")
@pytest.mark.settings(tile_url="https://{s}.tiles.county.example/{z}/{x}/{y}.png")
def test_every_answer_carries_the_security_headers_and_the_tile_host_for_images(world: World) -> None:
    for answer in (world.observer.get("/map"), world.anonymous.get("/map"), world.client.get("/healthz")):
        csp = answer.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["img-src"] == "'self' data: https://*.tiles.county.example"
        assert directives["script-src"] == directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'" and directives["worker-src"] == "'self'"
        assert answer.headers["referrer-policy"] == "no-referrer" and answer.headers["x-content-type-options"] == "nosniff"
