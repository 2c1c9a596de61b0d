from django.urls import path

from trellis.core.consumers import UserEventsConsumer
from trellis.notes.consumers import NoteDocumentConsumer

websocket_urlpatterns = [
    path("ws/events/", UserEventsConsumer.as_asgi()),
    # y-websocket's client asks for <server url>/<room>: no trailing slash.
    path("ws/notes/<int:document_id>", NoteDocumentConsumer.as_asgi()),
]
