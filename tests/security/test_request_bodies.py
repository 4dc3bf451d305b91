"""Bodies that used to answer 500 or be read whole (issue 19, low): a lone surrogate, JSON nested 100,000 deep
and a 100,000-digit integer answer 400; a body over the limit answers 413 without being read."""
import io

import pytest

from eldercare.accounts.models import User
from eldercare.extensions import db

from ..factories import ProviderFactory, UserFactory, make_token

SIGNUP = "/api/v1/auth/signup"
JUNK = {
    "lone surrogate": '{"username": "wang\\ud800", "password": "Tai-zhou river 7", "role": "family", '
                      '"phone": "13912345678"}',
    "surrogate key": '{"\\udfff": 1, "username": "wang"}',
    "deep nesting": "[" * 100_000 + "]" * 100_000,
    "deep objects": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "huge integer": '{"username": ' + "9" * 100_000 + "}",
    "long integer": '{"elder_id": ' + "9" * 25 + "}",
    "not utf-8": b'{"username": "\xff\xfe"}',
}


@pytest.mark.parametrize("name", list(JUNK))
@pytest.mark.parametrize("path", [SIGNUP, "/api/v1/auth/tokens"])
def test_junk_json_is_a_400(client, name, path):
    response = client.post(path, data=JUNK[name], content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.json["code"] == 400


@pytest.mark.parametrize("name", ["lone surrogate", "deep nesting", "huge integer"])
def test_junk_json_on_an_authenticated_write_is_a_400(client, name):
    token = make_token(UserFactory(role="operator", scope_region_id=None))
    response = client.post("/api/v1/orders", data=JUNK[name], content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400


def test_a_surrogate_pair_written_as_escapes_is_fine(client):
    # "\ud83d\ude00" is one character (😀), not junk: only lone surrogates are refused.
    response = client.post(SIGNUP, content_type="application/json",
                           data='{"username": "wang", "password": "Tai-zhou \\ud83d\\ude00 7", "role": "family", '
                                '"phone": "13912345678"}')
    assert response.status_code == 201
    assert db.session.query(User).count() == 1


class Unreadable(io.RawIOBase):
    """A 50 MB body that fails the test if anyone reads it."""

    size = 50 * 1024 * 1024

    def __init__(self):
        super().__init__()
        self.position = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.position

    def seek(self, offset, whence=io.SEEK_SET):
        self.position = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence] + offset
        return self.position

    def readinto(self, buffer):
        raise AssertionError("the oversized body was read")


def test_a_json_body_over_1_mib_is_413_unread(client):
    response = client.post(SIGNUP, input_stream=Unreadable(), content_type="application/json",
                           headers={"Content-Length": str(50 * 1024 * 1024)})
    assert response.status_code == 413
    assert response.json["code"] == 413


def test_a_json_body_just_over_the_limit_is_413(client):
    body = '{"username": "' + "a" * (1024 * 1024) + '"}'
    assert client.post(SIGNUP, data=body, content_type="application/json").status_code == 413


def test_a_form_over_the_limit_is_413(client):
    response = client.post("/login", data={"username": "a" * (1024 * 1024 + 10), "password": "x"})
    assert response.status_code == 413


def test_an_upload_may_be_larger_than_json_but_not_unbounded(client, app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))  # the stored document goes to a scratch folder
    provider = ProviderFactory(status="pending")
    token = make_token(UserFactory(role="provider_admin", provider_id=provider.id))
    url, headers = f"/api/v1/providers/{provider.id}/documents", {"Authorization": f"Bearer {token}"}
    # 2 MB of document: past the JSON limit, within the upload limit.
    data = {"kind": "licence", "file": (io.BytesIO(b"%PDF-" + b"0" * 2_000_000), "licence.pdf")}
    response = client.post(url, data=data, headers=headers, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    response = client.post(url, input_stream=Unreadable(), headers={
        **headers, "Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413
