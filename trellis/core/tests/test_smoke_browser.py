import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_renders_accessibly(page, assert_accessible):
    page.goto("/accounts/login/")
    assert page.get_by_role("heading", name="Sign In").is_visible()
    assert_accessible(page)
