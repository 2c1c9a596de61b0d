import factory

from trellis.accounts.tests.factories import UserFactory
from trellis.profiles.models import AvailabilityWindow, Profile


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Person {n}")
    time_zone = "Europe/Berlin"
    has_chosen_time_zone = True
    languages = factory.LazyFunction(lambda: ["en"])
    interests = factory.LazyFunction(lambda: ["hiking"])
    communication_modes = factory.LazyFunction(lambda: ["video", "chat"])


class AvailabilityWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityWindow

    profile = factory.SubFactory(ProfileFactory)
    weekday = 0
    start_time = "09:00"
    end_time = "11:00"
