"""Every admin page: anonymous -> login, branch operators see only their branch (another branch's id is a 404),
head-office-only pages are 403 for them, PII is masked, odd search strings never break a list."""

import pytest

from .conftest import csrf_of, logged_in

HEAD_OFFICE_ONLY = ("/admin/staff/", "/admin/staff/new/", "/admin/audit_log/")


def pages(panel) -> list[str]:
    east = panel.east_branch
    return [
        "/admin/",
        "/admin/customers/", f"/admin/customers/details/?id={east.customer_id}",
        "/admin/bindings/", f"/admin/bindings/details/?id={east.binding_id}",
        f"/admin/bindings/unbind/?id={east.binding_id}",
        "/admin/transfers/", f"/admin/transfers/details/?id={east.transfer_id}",
        *HEAD_OFFICE_ONLY,
    ]


def test_every_page_sends_the_anonymous_to_the_login_page(panel):
    client = panel.app.test_client()
    for path in pages(panel):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/admin/login" in response.headers["Location"], path


def test_head_office_opens_every_page(panel):
    client = logged_in(panel.app, panel.head)
    for path in pages(panel):
        assert client.get(path).status_code == 200, path


def test_head_office_only_pages_are_403_and_hidden_for_branch_operators(panel):
    client = logged_in(panel.app, panel.east)
    for path in HEAD_OFFICE_ONLY:
        response = client.get(path)
        assert response.status_code == 403 and "无权访问" in response.get_data(as_text=True), path
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "/admin/staff/" not in dashboard and "/admin/audit_log/" not in dashboard
    assert "/admin/customers/" in dashboard


@pytest.mark.parametrize("kind", ["customers", "bindings", "transfers"])
def test_a_branch_operator_sees_only_their_branch(panel, kind):
    own, other = panel.east_branch, panel.west_branch
    marker = {"customers": ("王*", "李**"), "bindings": ("1111", "2222"), "transfers": ("1111", "2222")}[kind]
    record_id = {"customers": "customer_id", "bindings": "binding_id", "transfers": "transfer_id"}[kind]

    east = logged_in(panel.app, panel.east)
    listing = east.get(f"/admin/{kind}/").get_data(as_text=True)
    assert marker[0] in listing and marker[1] not in listing
    assert east.get(f"/admin/{kind}/details/?id={getattr(own, record_id)}").status_code == 200
    refused = east.get(f"/admin/{kind}/details/?id={getattr(other, record_id)}")
    assert refused.status_code == 404 and "不在您的数据范围内" in refused.get_data(as_text=True)

    head = logged_in(panel.app, panel.head)
    listing = head.get(f"/admin/{kind}/").get_data(as_text=True)
    assert marker[0] in listing and marker[1] in listing


def test_another_branchs_binding_cannot_be_unbound(panel):
    east = logged_in(panel.app, panel.east)
    other = panel.west_branch.binding_id
    assert east.get(f"/admin/bindings/unbind/?id={other}").status_code == 404
    token = csrf_of(east, "/admin/")
    refused = east.post(f"/admin/bindings/unbind/?id={other}", data={"csrf_token": token, "reason": "客户申请解绑"})
    assert refused.status_code == 404
    head = logged_in(panel.app, panel.head)
    assert "已绑定" in head.get(f"/admin/bindings/details/?id={other}").get_data(as_text=True)


def test_the_dashboard_counts_only_the_operators_branch(panel):
    east = logged_in(panel.app, panel.east).get("/admin/").get_data(as_text=True)
    assert 'data-testid="bound-users">1<' in east and 'data-testid="transfers-total">1<' in east
    assert "<svg" in east and "东街支行" in east
    head = logged_in(panel.app, panel.head).get("/admin/").get_data(as_text=True)
    assert 'data-testid="bound-users">2<' in head and 'data-testid="transfers-total">2<' in head
    assert "http://" not in head.split("<body", 1)[1] and "https://" not in head  # nothing from a CDN


def test_pages_show_no_clear_pii(panel):
    head = logged_in(panel.app, panel.head)
    clear = ("王小明", "110101199001011234", "13800138000", "6222020200112233445", "赵六", "o-east-customer-0001")
    east = panel.east_branch
    for path in ("/admin/customers/", f"/admin/customers/details/?id={east.customer_id}", "/admin/bindings/",
                 f"/admin/bindings/details/?id={east.binding_id}", "/admin/transfers/",
                 f"/admin/transfers/details/?id={east.transfer_id}"):
        text = head.get(path).get_data(as_text=True)
        for value in clear:
            assert value not in text, (path, value)


ODD = ["%", "'", "_", "\\", "' OR 1=1 --", "%_%", "x" * 5000, "😀🏦", "\x00", "1" * 40, "-1", "２２２２", " "]


@pytest.mark.parametrize("kind", ["customers", "bindings", "transfers", "audit_log"])
def test_odd_search_strings_never_break_a_list(panel, kind):
    head = logged_in(panel.app, panel.head)
    for term in ODD:
        response = head.get(f"/admin/{kind}/", query_string={"search": term})
        assert response.status_code == 200, (kind, term)


def test_search_finds_by_safe_fields_only(panel):
    head = logged_in(panel.app, panel.head)
    by_tail = head.get("/admin/bindings/", query_string={"search": "2222"}).get_data(as_text=True)
    assert "2222" in by_tail and "1111" not in by_tail
    by_branch = head.get("/admin/customers/", query_string={"search": "8801"}).get_data(as_text=True)
    assert "王*" in by_branch and "李**" not in by_branch
    by_name = head.get("/admin/customers/", query_string={"search": "王小明"}).get_data(as_text=True)
    assert "王*" not in by_name  # names are not searchable: no probing of PII through the search box
    by_percent = head.get("/admin/customers/", query_string={"search": "%"}).get_data(as_text=True)
    assert "王*" not in by_percent  # % is a character, not a wildcard


@pytest.mark.parametrize("bad_id", ["abc", "-1", "0", "99999999999999999999", "1 OR 1=1", "😀", ""])
def test_malformed_ids_are_404(panel, bad_id):
    head = logged_in(panel.app, panel.head)
    for kind in ("customers", "bindings", "transfers"):
        response = head.get(f"/admin/{kind}/details/", query_string={"id": bad_id})
        assert response.status_code in (302, 404), (kind, bad_id)


@pytest.mark.parametrize("query", [{"page": "-1"}, {"page": "abc"}, {"page": "99999"}, {"sort": "99"}, {"sort": "x"},
                                   {"desc": "maybe"}, {"flt0_0": "%' OR 1=1"}, {"flt9_9": "x"}])
def test_odd_list_parameters_never_break_a_list(panel, query):
    head = logged_in(panel.app, panel.head)
    for kind in ("customers", "bindings", "transfers", "staff", "audit_log"):
        assert head.get(f"/admin/{kind}/", query_string=query).status_code == 200, (kind, query)
