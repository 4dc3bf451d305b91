"""The bureau's report pages and dashboard, in Chinese by default: filters, tables, downloads, scope."""
import csv
import io

import time_machine

from .conftest import DECEMBER, at


def test_the_reports_page_shows_each_report_with_its_downloads(pages, city):
    pages.login(city.officer.username)
    html = pages.client.get("/bureau/reports?from=2026-11&to=2026-11").get_data(as_text=True)
    assert "报表" in html and "62.50" in html and "1,027.00" in html  # spent, lapsed
    assert "/bureau/reports/voucher-spend/download.csv?" in html and "download.xlsx" in html
    html = pages.client.get("/bureau/reports?report=voucher-spend&from=2026-11&to=2026-11&group_by=provider"
                            ).get_data(as_text=True)
    assert "甲居家养老服务中心" in html and "38.50" in html
    html = pages.client.get("/bureau/reports?report=coverage&from=2026-11&to=2026-11").get_data(as_text=True)
    assert "城西街道" in html and "75.0%" in html and "50.0%" in html
    html = pages.client.get("/bureau/reports?report=providers&from=2026-11&to=2026-11").get_data(as_text=True)
    assert "乙居家养老服务中心" in html and "66.7%" in html
    html = pages.client.get("/bureau/reports?report=orders&from=2026-11&to=2026-11").get_data(as_text=True)
    assert "助浴" in html and "已取消" in html
    response = pages.client.get("/bureau/reports/voucher-spend/download.csv?from=2026-11&to=2026-11"
                                "&group_by=category")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert ["助餐", "4", "34.50"] == rows[1][:3]  # 10.50 + 13.50 + 10.50 + (10.50 - 10.50): four captured visits
    assert pages.client.get("/bureau/reports/coverage/download.xlsx?from=2026-11&to=2026-11").status_code == 200
    html = pages.client.get("/bureau/reports?report=service-points&from=2026-11&to=2026-11").get_data(as_text=True)
    assert "日均服务人次" in html and "/bureau/reports/service-points/download.csv?" in html
    assert pages.client.get("/bureau/reports/service-points/download.xlsx?from=2026-11&to=2026-11").status_code == 200


def test_bad_filters_are_said_and_other_regions_do_not_exist(pages, city):
    pages.login(city.officer.username)
    response = pages.client.get("/bureau/reports?from=2026-13")
    assert response.status_code == 200 and 'role="alert"' in response.get_data(as_text=True)
    assert pages.client.get(f"/bureau/reports?region_id={city.other_district.id}").status_code == 404
    assert pages.client.get(f"/bureau/reports/orders/download.csv?region_id={city.other_district.id}"
                            ).status_code == 404
    assert pages.client.get("/bureau/reports/orders/download.csv?from=2026-13").status_code == 422
    assert pages.client.get("/bureau/reports?report=nothing").status_code == 404


def test_the_dashboard_draws_from_its_tables(pages, city):
    with time_machine.travel(at(DECEMBER, 3), tick=False):
        pages.login(city.officer.username)  # on the same clock: a login dated after "now" would be refused
        html = pages.client.get("/bureau/dashboard").get_data(as_text=True)
        home = pages.client.get("/").get_data(as_text=True)
    assert "/bureau/dashboard" in home
    assert "仪表盘" in html and "2026-01 – 2026-12" in html
    assert 'data-value="62.5"' in html  # November's spend, in yuan, for the chart
    for table in ("spend-by-month", "spend-by-category", "coverage-by-street", "providers-by-findings",
                  "providers-by-rating"):
        assert f'id="{table}"' in html and f'data-table="{table}"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/dashboard.js" in html
    assert "<script>" not in html  # nothing inline: the CSP forbids it
    findings = html.split('id="providers-by-findings"')[1].split("</table>")[0]
    assert findings.index("乙居家养老服务中心") < findings.index("甲居家养老服务中心")


def test_only_the_bureau_opens_them(pages, city):
    from ..factories import UserFactory
    user = UserFactory(role="operator", scope_region_id=city.district.id)
    pages.login(user.username)
    for path in ("/bureau/reports", "/bureau/dashboard", "/bureau/reports/orders/download.csv"):
        assert pages.client.get(path).status_code == 403, path
