"""The audit log read by region: an officer reads the events about the elders, orders, providers and service points
they may see (and what hangs from them: cases, payments, care plans), a street officer nothing of another street
or district, and the platform's own events (logins, accounts, scans), which concern no region, only the officers
at the top of the region tree (a district: there is no city above it today)."""
from sqlalchemy import select

from eldercare.audit import rules
from eldercare.audit.findings import AuditCase
from eldercare.audit.scope import at_the_top, log_condition
from eldercare.audit.services import record
from eldercare.extensions import db
from eldercare.servicepoints.models import ServicePoint

from ..factories import DistrictFactory, ProviderFactory, UserFactory
from ..pages import Pages
from .conftest import DAY, HOME, at

LOG = "/api/v1/audit/log"


def read(api, officer) -> set[str]:
    """The `where` of every event the officer reads through the API."""
    answer = api.as_(officer).get(LOG, query_string={"page_size": 200})
    assert answer.status_code == 200, answer.json
    return {e["detail"]["where"] for e in answer.json if "where" in e["detail"]}


def test_each_officer_reads_the_events_of_their_region(api, world):
    east, west = world.elder(0), world.elder(1, community=world.other_community)
    elsewhere = DistrictFactory(name="高港区")
    far_provider = ProviderFactory(name="高港护理站", district_id=elsewhere.id)
    far_officer = UserFactory(role="bureau", scope_region_id=elsewhere.id)
    east_order = world.visit(start=at(DAY, 10), minutes=5, elder=east)  # too short: a case opens on it
    west_order = world.visit(start=at(DAY, 14), elder=west)
    point = ServicePoint(provider_id=world.provider.id, name="城东食堂", kind="canteen",
                         community_id=world.community.id, lat=HOME[0], lng=HOME[1], hours=[], daily_capacity=50)
    db.session.add(point)
    db.session.flush()
    record("elder.updated", east, actor=world.bureau, where="east elder")
    record("elder.updated", west, actor=world.bureau, where="west elder")
    record("order.on_the_way", east_order, actor=world.bureau, where="east order")
    record("order.on_the_way", west_order, actor=world.bureau, where="west order")
    record("service_point.updated", point, actor=world.bureau, where="east point")
    record("provider.updated", world.provider, actor=world.bureau, where="our provider")
    record("provider.updated", far_provider, actor=far_officer, where="far provider")
    record("auth.login", world.street_officer, actor=world.street_officer, where="a login")
    record("catalog.item.update", world.lunch, actor=world.bureau, where="the catalogue")
    rules.scan(DAY, DAY)
    case = db.session.scalar(select(AuditCase).where(AuditCase.order_id == east_order.id))
    record("audit.case_reviewed", case, actor=world.bureau, where="east case")
    db.session.commit()

    everything = {"east elder", "west elder", "east order", "west order", "east point", "our provider", "a login",
                  "the catalogue", "east case"}
    assert read(api, world.bureau) == everything
    assert read(api, world.street_officer) == {"east elder", "east order", "east point", "east case"}
    assert read(api, world.other_street_officer) == {"west elder", "west order"}
    assert read(api, far_officer) == {"far provider", "a login", "the catalogue"}
    # The scan and the case it opened: the district's (the case is about its order), the scan is the platform's.
    opened = api.as_(world.street_officer).get(LOG, query_string={"action": "audit.case_opened"}).json
    assert [e["target_id"] for e in opened] == [case.id]
    assert api.as_(world.street_officer).get(LOG, query_string={"action": "audit.scan"}).json == []
    assert [e["action"] for e in api.as_(world.bureau).get(LOG, query_string={"action": "audit.scan"}).json] == \
        ["audit.scan"]


def test_the_platforms_events_are_for_the_top_of_the_region_tree_only(world):
    assert at_the_top(world.bureau)
    assert not at_the_top(world.street_officer)
    assert not at_the_top(UserFactory(role="operator"))
    admin = UserFactory(role="admin")
    record("auth.login", admin, actor=admin, where="a login")
    db.session.commit()
    from eldercare.audit.models import AuditEvent

    def sees(user):
        return db.session.scalars(select(AuditEvent.action).where(log_condition(user))).all()

    assert sees(world.bureau) == ["auth.login"]
    assert sees(world.street_officer) == []
    assert sees(admin) == []  # the log is the bureau's (admin is among those it watches)


def test_the_page_lists_the_officers_events_only(app, world):
    east, west = world.elder(0), world.elder(1, community=world.other_community)
    record("elder.updated", east, actor=world.bureau, where="东街老人")
    record("elder.updated", west, actor=world.bureau, where="西街老人")
    record("auth.login", world.bureau, actor=world.bureau, where="登录事件")
    db.session.commit()
    bodies = {}
    for officer in (world.street_officer, world.bureau):
        pages = Pages(app.test_client())
        pages.login(officer.username)
        bodies[officer] = pages.client.get("/bureau/audit-log").get_data(as_text=True)
    body = bodies[world.street_officer]
    assert "东街老人" in body and "西街老人" not in body and "登录事件" not in body
    body = bodies[world.bureau]
    assert "东街老人" in body and "西街老人" in body and "登录事件" in body
