"""The pages as users meet them (issue 20): phone-sized screens, menus, actions, no internal codes."""

from __future__ import annotations

import re

PAGE_SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)


def body(response) -> str:
    return response.get_data(as_text=True)


def test_the_menu_collapses_with_bootstraps_own_script_served_locally(login_as):
    client = login_as("nanming-xx-registrar")
    page = body(client.get("/students/"))
    assert 'data-bs-toggle="collapse"' in page and 'id="xj-nav"' in page
    scripts = PAGE_SCRIPT.findall(page)
    # The CSP allows scripts from 'self' only: every script is a file, none is inline.
    assert scripts and all("src=" in attrs for attrs in scripts)
    for src in re.findall(r'<script src="([^"]+)"', page):
        with client.get(src) as response:
            assert response.status_code == 200 and "javascript" in response.mimetype, src
    assert "bootstrap.bundle.min.js" in page
