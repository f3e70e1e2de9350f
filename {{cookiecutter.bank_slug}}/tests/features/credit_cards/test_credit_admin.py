"""The admin's 信用卡还款记录: read-only, cards masked, branch operators see the repayments of cards bound at their
branch only (another branch's is a 404), the anonymous go to the login page."""

import pytest

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.credit_cards.models import POSTED, CreditRepayment
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from ...admin.conftest import (  # noqa: F401 - the panel fixture
    app,  # noqa: F401 - the app with its admin panel
    logged_in,
    panel,
)


def _repayment(binding_id: int, code: str) -> int:
    order = CreditRepayment(idempotency_key=f"repay-key-{code}-0000000", openid=f"o-{code}", card_binding_id=binding_id,
                            card_account_id=f"C{code}", card_mask=f"6258 **** **** {code}", from_binding_id=binding_id,
                            from_account_id=f"A{code}", from_card_mask=f"6228 **** **** {code}", mode="full",
                            amount_fen=32_203, status=POSTED, repayment_id=f"J{code}", owed_after_fen=0,
                            available_after_fen=5_000_000, submitted_at=utcnow(), finished_at=utcnow())
    db.session.add(order)
    db.session.flush()
    return order.id


@pytest.fixture
def repayments(panel):  # noqa: F811
    with panel.app.app_context():
        east = _repayment(panel.east_branch.binding_id, "8801")
        west = _repayment(panel.west_branch.binding_id, "8802")
        db.session.commit()
    return east, west


def test_the_list_is_read_only_masked_and_branch_scoped(panel, repayments):  # noqa: F811
    east, west = repayments
    anonymous = panel.app.test_client().get("/admin/credit_repayments/")
    assert anonymous.status_code == 302 and "/admin/login" in anonymous.headers["Location"]
    head = logged_in(panel.app, panel.head)
    page = head.get("/admin/credit_repayments/").get_data(as_text=True)
    assert "6258 **** **** 8801" in page and "6258 **** **** 8802" in page and "322.03" in page
    assert head.get(f"/admin/credit_repayments/details/?id={east}").status_code == 200
    assert head.get("/admin/credit_repayments/new/").status_code in (302, 403, 404)
    operator = logged_in(panel.app, panel.east)
    listed = operator.get("/admin/credit_repayments/").get_data(as_text=True)
    assert "8801" in listed and "6258 **** **** 8802" not in listed
    assert operator.get(f"/admin/credit_repayments/details/?id={west}").status_code == 404
    assert operator.get("/admin/credit_repayments/?search=8802").status_code == 200
