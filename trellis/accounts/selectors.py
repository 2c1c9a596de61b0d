from __future__ import annotations

from django.db.models import QuerySet

from trellis.accounts.models import PersonalAccessToken, User


def personal_access_token_list(*, user: User) -> QuerySet[PersonalAccessToken]:
    return PersonalAccessToken.objects.filter(user=user)
