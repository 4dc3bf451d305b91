"""Passwords an attacker tries first are refused, usernames are one account whatever their case, and signing
up does not confirm that an account exists (issue 19, low)."""
import pytest

from eldercare.accounts.services import common_passwords, find_by_username

from ..factories import PASSWORD, UserFactory

SIGNUP = "/api/v1/auth/signup"


def signup(client, username="laowang", password="Tai-zhou river 7", **extra):
    return client.post(SIGNUP, json={"username": username, "password": password, "role": "family",
                                     "phone": "13912345678", **extra})


@pytest.mark.parametrize("password", ["12345678", "PASSWORD1", "iloveyou", "woaini1314", "88888888"])
def test_common_passwords_are_refused(client, password):
    response = signup(client, password=password)
    assert response.status_code == 422 and "password" in response.json["errors"]


def test_a_password_of_spaces_is_refused(client):
    response = signup(client, password=" " * 8)
    assert response.status_code == 422 and "password" in response.json["errors"]


@pytest.mark.parametrize("password", ["laowang123", "LAOWANG123", " laowang123 "])
def test_the_username_is_not_a_password(client, password):
    response = signup(client, username="laowang123", password=password)
    assert response.status_code == 422 and "password" in response.json["errors"]


def test_a_good_password_is_accepted(client):
    assert signup(client).status_code == 201


def test_the_blocklist_ships_with_the_code():
    passwords = common_passwords()
    assert len(passwords) > 5000 and {"12345678", "password", "qwertyuiop"} <= passwords
    assert min(len(p) for p in passwords) == 8  # shorter ones are refused for their length already


def test_usernames_differing_only_in_case_are_one_account(client):
    UserFactory(username="admin", role="admin")
    response = signup(client, username="ADMIN")
    assert response.status_code == 409
    assert find_by_username("Admin").role == "admin"


def test_login_works_in_any_case(client):
    UserFactory(username="laowang", role="family")
    for name in ("laowang", "LaoWang", "LAOWANG"):
        response = client.post("/api/v1/auth/tokens", json={"username": name, "password": PASSWORD})
        assert response.status_code == 201, name
        assert response.json["user"]["username"] == "laowang"


def test_the_login_page_works_in_any_case(pages):
    UserFactory(username="laowang", role="family")
    assert pages.login("LaoWang").status_code == 302
    assert pages.client.get("/").status_code == 200


def test_a_taken_username_is_refused_without_confirming_the_account(client):
    UserFactory(username="laowang", role="family")
    response = signup(client, username="laowang")
    assert response.status_code == 409
    message = response.json["message"].lower()
    assert "taken" not in message and "exists" not in message and "already" not in message
    assert "choose another" in message


def test_an_admin_creating_a_case_twin_is_refused(api):
    UserFactory(username="zhangsan", role="family")
    admin = UserFactory(role="admin")
    response = api.as_(admin).post("/api/v1/users", json={"username": "ZhangSan", "password": "Tai-zhou river 7",
                                                         "role": "family"})
    assert response.status_code == 409
