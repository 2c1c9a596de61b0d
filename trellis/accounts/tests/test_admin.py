import pytest

from trellis.accounts.tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        "/admin/accounts/personalaccesstoken/",
        "/admin/notifications/notification/",
    ],
)
def test_admin_pages_open_for_staff_only(client, path):
    assert client.get(path).status_code == 302
    client.force_login(UserFactory())
    assert client.get(path).status_code == 302
    client.force_login(StaffFactory())
    assert client.get(path).status_code == 200


def test_staff_can_create_a_user_in_the_admin(client):
    from trellis.accounts.models import User

    client.force_login(StaffFactory(email="root@example.org"))
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "added@example.org",
            "password1": "a-good-pass-1234",
            "password2": "a-good-pass-1234",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(email="added@example.org").exists()
