"""Who may open the content-administration pages: nobody anonymous (login page), branch operators only the alerts
(their branch), head office everything; the head-office pages are hidden from branch operators' menus."""

from .conftest import logged_in

HEAD_OFFICE_ONLY = ("/admin/products/", "/admin/products/new/", "/admin/keyword_replies/",
                    "/admin/keyword_replies/new/", "/admin/menu/", "/admin/push/")
EVERY_STAFF = ("/admin/alerts/",)
MENU_ITEMS = ("/admin/products/", "/admin/keyword_replies/", "/admin/menu/", "/admin/push/", "/admin/alerts/")


def test_the_anonymous_are_sent_to_the_login_page(panel):
    client = panel.app.test_client()
    for path in HEAD_OFFICE_ONLY + EVERY_STAFF:
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"], path


def test_head_office_opens_every_content_page(panel):
    client = logged_in(panel.app, panel.head)
    for path in HEAD_OFFICE_ONLY + EVERY_STAFF:
        assert client.get(path).status_code == 200, path
    menu = client.get("/admin/").get_data(as_text=True)
    for path in MENU_ITEMS:
        assert path in menu, path


def test_branch_operators_get_403_and_see_only_the_alerts_in_their_menu(panel):
    client = logged_in(panel.app, panel.west)
    for path in HEAD_OFFICE_ONLY:
        assert client.get(path).status_code == 403, path
    assert client.get("/admin/alerts/").status_code == 200
    menu = client.get("/admin/").get_data(as_text=True)
    assert "/admin/alerts/" in menu
    for path in MENU_ITEMS[:-1]:
        assert path not in menu, path
