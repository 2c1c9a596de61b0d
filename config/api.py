"""The REST API root: /api/v1, OpenAPI at /api/v1/openapi.json."""

from ninja import NinjaAPI

from trellis.accounts.api import router as accounts_router
from trellis.accounts.api_auth import api_auth
from trellis.agreements.api import router as agreements_router
from trellis.calls.api import router as calls_router
from trellis.core.api_errors import install_error_handlers
from trellis.events.api import router as events_router
from trellis.feedback.api import router as feedback_router
from trellis.goals.api import router as goals_router
from trellis.introductions.api import router as introductions_router
from trellis.matching.api import router as matching_router
from trellis.mentorships.api import router as mentorships_router
from trellis.messaging.api import router as messaging_router
from trellis.messaging.api_files import router as messaging_files_router
from trellis.notes.api import router as notes_router
from trellis.notifications.api import router as notifications_router
from trellis.plans.api import router as plans_router
from trellis.profiles.api import router as profiles_router
from trellis.programs.api import router as programs_router
from trellis.resources.api import router as resources_router
from trellis.scheduling.api import router as scheduling_router
from trellis.wins.api import router as wins_router

api = NinjaAPI(
    title="Trellis API",
    version="1",
    urls_namespace="api-v1",
    auth=api_auth,
    description=(
        "Trellis REST API. Authenticate with the browser session (send the CSRF token) "
        "or with a personal access token: `Authorization: Bearer <token>`."
    ),
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/profile", profiles_router)
api.add_router("/", programs_router)
api.add_router("/", matching_router)
api.add_router("/", mentorships_router)
api.add_router("/", agreements_router)
api.add_router("/", scheduling_router)
api.add_router("/", notifications_router)
api.add_router("/", messaging_router)
api.add_router("/", messaging_files_router)
api.add_router("/", calls_router)
api.add_router("/", goals_router)
api.add_router("/", wins_router)
api.add_router("/", plans_router)
api.add_router("/", feedback_router)
api.add_router("/", notes_router)
api.add_router("/", resources_router)
api.add_router("/", introductions_router)
api.add_router("/", events_router)
