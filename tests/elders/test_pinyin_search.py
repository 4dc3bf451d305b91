"""An operator without a Chinese keyboard finds an elder by the name's pinyin or its initials (issue 18:
`lzg`, `wangxiuying`, `wxy` for 王秀英), whether the elder was registered through the ORM or written by a Core
insert (the demo seed's, the roster's), and only elders in the operator's area."""
from sqlalchemy import insert, select

from eldercare.elders import spelling
from eldercare.elders.models import Elder
from eldercare.extensions import db

from ..factories import ElderFactory


def names_found(pages, q: str) -> set[str]:
    html = pages.client.get("/elders", query_string={"q": q}).get_data(as_text=True)
    return {name for name in ("王秀英", "李忠国", "王小英", "李凤兰") if name in html}


def test_pinyin_and_initials_find_the_elder(pages, place):
    ElderFactory(community_id=place.community_a.id, name="王秀英")
    ElderFactory(community_id=place.community_a.id, name="王小英")
    ElderFactory(community_id=place.community_b.id, name="李凤兰")  # outside the operator's area
    # Written as the demo seed writes elders: a Core insert, which the columns' defaults spell.
    row = {c: getattr(ElderFactory.build(community_id=place.community_a.id, name="李忠国"), c)
           for c in ("name", "id_number", "birth_date", "gender", "phone", "address", "community_id", "lat", "lng")}
    db.session.execute(insert(Elder), [row])
    db.session.commit()
    assert db.session.execute(select(Elder.name_pinyin, Elder.name_initials).where(Elder.name == "李忠国")).one() \
        == ("lizhongguo", "lzg")
    pages.login(place.operator_a.username)
    assert names_found(pages, "wangxiuying") == {"王秀英"}
    assert names_found(pages, "wxy") == {"王秀英", "王小英"}  # wang xiao ying has the same initials
    assert names_found(pages, "WXY") == {"王秀英", "王小英"}
    assert names_found(pages, "wangxiao") == {"王小英"}
    assert names_found(pages, "wang") == {"王秀英", "王小英"}
    assert names_found(pages, "lzg") == {"李忠国"}
    assert names_found(pages, "lfl") == set()  # 李凤兰 is in another area
    assert names_found(pages, "wxz") == set()


def test_a_renamed_elder_is_found_by_the_new_name():
    elder = Elder(name="王秀英")
    assert (elder.name_pinyin, elder.name_initials) == ("wangxiuying", "wxy")
    elder.name = "李忠国"
    assert (elder.name_pinyin, elder.name_initials) == ("lizhongguo", "lzg")


def test_only_ascii_letters_are_searched_as_pinyin():
    assert spelling.as_pinyin(" Wang Xiu ") == "wangxiu"
    assert spelling.as_pinyin("王") is None and spelling.as_pinyin("1234") is None
    assert spelling.as_pinyin("ｗｘｙ") is None  # full-width letters are not ASCII
    assert spelling.as_pinyin("w") is None  # one letter would match a good part of the city
