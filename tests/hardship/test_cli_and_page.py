"""The roster import from the command line and from the bureau's upload page."""
import io

from sqlalchemy import select

from eldercare.elders.models import Elder

from ..factories import CommunityFactory, DistrictFactory, ElderFactory, StreetFactory, UserFactory


def roster(*lines):
    return "id_number,status,effective_date\n" + "\n".join(lines) + "\n"


def test_the_command_applies_the_file_and_lists_rejected_lines(app, db, tmp_path):
    elder = ElderFactory()
    path = tmp_path / "roster.csv"
    path.write_text(roster(f"{elder.id_number},dibao,2026-01-01", "123,dibao,2026-01-01"), encoding="utf-8-sig")
    result = app.test_cli_runner().invoke(args=["import-hardship", str(path)])
    assert result.exit_code == 1  # a rejected row
    assert "2 rows: 1 updated, 0 unchanged, 1 rejected." in result.output
    assert "line 3: 123: Not a valid resident ID number." in result.output
    assert db.session.scalar(select(Elder.hardship).where(Elder.id == elder.id)) == "dibao"
    again = app.test_cli_runner().invoke(args=["import-hardship", str(path)])
    assert "0 updated, 1 unchanged" in again.output


def test_a_clean_file_exits_zero(app, db, tmp_path):
    elder = ElderFactory()
    path = tmp_path / "roster.csv"
    path.write_text(roster(f"{elder.id_number},tekun,2026-01-01"), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-hardship", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.output


def test_the_bureau_uploads_a_roster_for_its_district(pages, db):
    district = DistrictFactory()
    mine = ElderFactory(community_id=CommunityFactory(parent_id=StreetFactory(parent_id=district.id).id).id)
    elsewhere = ElderFactory()
    officer = UserFactory(role="bureau", scope_region_id=district.id)
    pages.login(officer.username)
    data = {"csrf_token": pages.token("/bureau/hardship-import"),
            "roster": (io.BytesIO(roster(f"{mine.id_number},低保,2026-02-01",
                                          f"{elsewhere.id_number},低保,2026-02-01").encode("utf-8-sig")), "名册.csv")}
    response = pages.client.post("/bureau/hardship-import", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "老人不在您的辖区内" in html and elsewhere.id_number[-4:] in html and elsewhere.id_number not in html
    assert db.session.scalar(select(Elder.hardship).where(Elder.id == mine.id)) == "dibao"
    assert db.session.scalar(select(Elder.hardship).where(Elder.id == elsewhere.id)) == "none"


def test_the_upload_page_needs_a_file_and_the_right_role(pages, db):
    officer = UserFactory(role="bureau")
    pages.login(officer.username)
    missing = pages.client.post("/bureau/hardship-import", data={"csrf_token": pages.token("/bureau/hardship-import")})
    assert missing.status_code == 400 and "请选择" in missing.get_data(as_text=True)
    pages.logout()
    pages.login(UserFactory(role="operator").username)
    assert pages.client.get("/bureau/hardship-import").status_code == 403


def test_a_bureau_account_without_a_region_cannot_import(pages, db):
    from eldercare.accounts.models import User

    officer = UserFactory(role="bureau")
    db.session.get(User, officer.id).scope_region_id = None
    db.session.commit()
    pages.login(officer.username)
    assert pages.client.get("/bureau/hardship-import").status_code == 403
