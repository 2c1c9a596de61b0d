from __future__ import annotations

from typing import Any

import factory
from allauth.account.models import EmailAddress

from trellis.accounts.models import User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a verified primary email address and the password PASSWORD."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()
            EmailAddress.objects.create(user=obj, email=obj.email, primary=True, verified=True)


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True
