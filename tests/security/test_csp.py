"""No inline script runs on the platform's pages (issue 19, low): script-src without 'unsafe-inline'
everywhere, the API docs page too (its Swagger UI starts from static/js/api-docs.js since issue 18)."""
import re
from pathlib import Path

import pytest

from ..factories import UserFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def script_src(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return next(part.strip() for part in policy.split(";") if part.strip().startswith("script-src"))


@pytest.mark.parametrize("path", ["/login", "/api/v1/health", "/api/v1/openapi.json", "/no-such-page"])
def test_pages_allow_no_inline_script(client, path):
    assert "unsafe-inline" not in script_src(client.get(path))


def test_a_logged_in_page_allows_no_inline_script(pages):
    pages.login(UserFactory(role="family").username)
    response = pages.client.get("/")
    assert response.status_code == 200 and "unsafe-inline" not in script_src(response)


def test_the_docs_page_allows_no_inline_script_either(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "unsafe-inline" not in script_src(response)
    scripts = re.findall(r"<script\b[^>]*>", response.get_data(as_text=True))
    assert scripts and all("src=" in tag for tag in scripts)


def test_no_template_has_an_inline_script_or_handler():
    for template in TEMPLATES.rglob("*.html"):
        html = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"inline script in {template}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"inline event handler in {template}"
        assert "javascript:" not in html, f"javascript: URL in {template}"
