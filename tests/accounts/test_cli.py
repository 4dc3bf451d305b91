from eldercare.accounts.models import User

from ..factories import DistrictFactory


def test_create_user_prompts_for_the_password_twice(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--role", "admin", "--username", "root.admin"],
        input="a-long-password\na-long-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin account 'root.admin'" in result.output
    user = db.session.scalar(db.select(User).where(User.username == "root.admin"))
    assert user.role == "admin" and user.check_password("a-long-password")


def test_create_user_reports_the_bad_field(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--role", "bureau", "--username", "officer"],
        input="a-long-password\na-long-password\n",
    )
    assert result.exit_code != 0 and "scope_region_id" in result.output
    assert db.session.scalar(db.select(User).where(User.username == "officer")) is None


def test_create_scoped_user(app, db):
    district = DistrictFactory()
    result = app.test_cli_runner().invoke(
        args=["create-user", "--role", "bureau", "--username", "officer", "--region-id", str(district.id)],
        input="a-long-password\na-long-password\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(User.scope_region_id).where(User.username == "officer")) == district.id
