"""The bureau's roster upload page: officers of the bureau (their region) and admins (the city) only."""
import io

from sqlalchemy import select

from eldercare.elders.models import Elder

from ..factories import CommunityFactory, DistrictFactory, StreetFactory, UserFactory
from .test_roster_import import make_elder, roster, unregistered_id

PAGE = "/bureau/hardship-import"


def upload(pages, text, name="名册.csv"):
    data = {"csrf_token": pages.token(PAGE), "roster": (io.BytesIO(text.encode("utf-8-sig")), name)}
    return pages.client.post(PAGE, data=data, content_type="multipart/form-data")


def hardship_of(elder):
    return select(Elder.hardship).where(Elder.id == elder.id)


def test_the_bureau_uploads_a_roster_and_sees_counts_and_rejected_lines(pages, db):
    district = DistrictFactory()
    mine = make_elder(CommunityFactory(parent_id=StreetFactory(parent_id=district.id).id).id)
    elsewhere = make_elder(CommunityFactory().id)
    nobody = unregistered_id()
    pages.login(UserFactory(role="bureau", scope_region_id=district.id).username)
    assert 'type="file"' in pages.client.get(PAGE).get_data(as_text=True)
    response = upload(pages, roster(f"{mine.id_number},低保,2026-02-01", f"{elsewhere.id_number},低保,2026-02-01",
                                    f"{nobody},dibao,2026-02-01"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "名册.csv" in html
    assert "老人不在您的辖区内" in html  # the reason, in the page's language
    for number in (elsewhere.id_number, nobody):
        assert number[:4] + "*" * 10 + number[-4:] in html and number not in html  # masked
    assert "<td class=\"number\">3</td>" in html and "<td class=\"number\">4</td>" in html  # the lines
    assert db.session.scalar(hardship_of(mine)) == "dibao"
    assert db.session.scalar(hardship_of(elsewhere)) == "none"


def test_an_admin_imports_for_the_whole_city(pages, db):
    elder = make_elder(CommunityFactory().id)
    pages.login(UserFactory(role="admin").username)
    response = upload(pages, roster(f"{elder.id_number},tekun,2026-02-01"))
    assert response.status_code == 200
    assert db.session.scalar(hardship_of(elder)) == "tekun"


def test_a_missing_or_empty_file_is_a_400_with_the_error_on_the_page(pages, db):
    pages.login(UserFactory(role="bureau").username)
    missing = pages.client.post(PAGE, data={"csrf_token": pages.token(PAGE)})
    assert missing.status_code == 400 and "请选择" in missing.get_data(as_text=True)
    empty = pages.client.post(PAGE, data={"csrf_token": pages.token(PAGE), "roster": (io.BytesIO(b""), "")},
                              content_type="multipart/form-data")
    assert empty.status_code == 400


def test_a_file_that_is_not_a_roster_is_refused_on_the_page(pages, db):
    pages.login(UserFactory(role="admin").username)
    response = upload(pages, "name,phone\n王秀英,13900000000\n")
    assert response.status_code == 422 and 'role="alert"' in response.get_data(as_text=True)


def test_family_and_operators_are_forbidden(pages, db):
    for role in ("family", "operator"):
        pages.login(UserFactory(role=role).username)
        assert pages.client.get(PAGE).status_code == 403
        assert pages.client.post(PAGE, data={"csrf_token": pages.token("/")}).status_code == 403
        pages.logout()


def test_strangers_are_sent_to_log_in(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_empty_or_non_utf8_file_is_a_400(pages, db):
    pages.login(UserFactory(role="admin").username)
    empty = upload(pages, "", name="empty.csv")
    assert empty.status_code == 400 and "文件是空的" in empty.get_data(as_text=True)
    data = {"csrf_token": pages.token(PAGE), "roster": (io.BytesIO("身份证号".encode("gbk")), "gbk.csv")}
    gbk = pages.client.post(PAGE, data=data, content_type="multipart/form-data")
    assert gbk.status_code == 400 and "UTF-8" in gbk.get_data(as_text=True)


def test_a_bureau_officer_without_a_region_is_forbidden(pages, db):
    pages.login(UserFactory(role="bureau", scope_region_id=None).username)
    assert pages.client.get(PAGE).status_code == 403
