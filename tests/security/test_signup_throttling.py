"""Sign-up throttling (issue 19, low): `POST /api/v1/auth/signup` answers a taken username, so each answer says
whether a name is in use; without a limit a script listed a city's usernames (or made accounts) as fast as it
could ask. Now the sign-ups that make an account or find a name taken are counted per address in the limiter's
shared store, and past the limit answer 429 with Retry-After before anything is looked up."""
from eldercare.accounts.models import User
from eldercare.extensions import db

from ..factories import UserFactory

SIGNUP = "/api/v1/auth/signup"
LIMIT = 10  # TestConfig.SIGNUP_ADDRESS_LIMIT: 10 per hour


def signup(client, username, address="192.0.2.1", password="Tai-zhou river 7", **extra):
    body = {"username": username, "password": password, "role": "family", "phone": "13800138000"} | extra
    return client.post(SIGNUP, json=body, environ_base={"REMOTE_ADDR": address})


def test_probing_usernames_from_one_address_is_stopped_with_429_and_retry_after(client):
    UserFactory(username="wang")
    codes = [signup(client, name).status_code for name in ["wang", "li-na", "Wang", "zhao", "WANG", "sun-li", "zhou",
                                                           "wu-yi", "zheng", "feng"]]
    assert codes == [409, 201, 409, 201, 409, 201, 201, 201, 201, 201]
    assert len(codes) == LIMIT
    stopped = signup(client, "chen")
    assert stopped.status_code == 429 and stopped.json["code"] == 429
    assert 0 < int(stopped.headers["Retry-After"]) <= 3600
    # Not looked up, not made: a taken name gets the same 429 as a free one.
    assert signup(client, "wang").status_code == 429
    assert db.session.query(User).filter(User.username == "chen").count() == 0
    # Another address is not held up by this one.
    assert signup(client, "chen", address="198.51.100.7").status_code == 201


def test_refusals_that_say_nothing_about_the_name_are_not_counted(client):
    for i in range(LIMIT + 5):
        assert signup(client, f"laowang{i}", password="12345678").status_code == 422
    assert signup(client, "laowang").status_code == 201


def test_a_taken_name_answers_alike_in_any_case_and_only_when_all_else_is_right(client):
    UserFactory(username="wang")
    exact, other_case = signup(client, "wang"), signup(client, "WaNg")
    assert exact.status_code == other_case.status_code == 409
    assert exact.get_data() == other_case.get_data()
    assert set(exact.json["errors"]) == {"username"} and "wang" not in exact.json["message"].lower()
    # A bad password or phone is refused the same whether the name is taken or free: the name is looked up last.
    for bad in ({"password": "12345678"}, {"phone": "12"}):
        taken, free = signup(client, "wang", **bad), signup(client, "nobody-has-this", **bad)
        assert taken.status_code == free.status_code == 422
        assert taken.json == free.json


def test_the_openapi_document_says_signup_can_answer_429(client):
    operation = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/auth/signup"]["post"]
    assert "429" in operation["responses"]


def test_the_limit_comes_from_the_configuration(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUP_ADDRESS_LIMIT", "2 per hour")
    assert [signup(client, n).status_code for n in ("a-one", "a-two", "a-three")] == [201, 201, 429]
