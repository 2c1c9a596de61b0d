"""The channel-layer group of one shared document: every open editor of it listens there.

Frames are y-websocket frames (bytes). A frame carries the channel name of the socket it
came from, so that socket does not get its own edit back; the server's own edits
(a restore, a text replaced through the API) come from no socket and reach everyone.
Nothing lives in process memory: several ASGI workers share the layer (Redis).
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from trellis.notes import crdt

logger = logging.getLogger(__name__)

# Where editors connect: y-websocket asks for <this>/<document id>.
SOCKET_PATH = "/ws/notes"
# The consumer's handler names (type "notes.update" calls notes_update).
UPDATE = "notes.update"
AWARENESS = "notes.awareness"
JOINED = "notes.joined"


def document_group(document_id: int) -> str:
    return f"notes.{document_id}"


def update_message(update: bytes, *, sender: str = "") -> dict[str, object]:
    return {"type": UPDATE, "frame": crdt.update_frame(update), "sender": sender}


def send_update_now(document_id: int, update: bytes) -> None:
    """Send a server-made update to every open editor of the document now."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(document_group(document_id), update_message(update))
    except Exception:
        # The edit is stored: editors get it on their next sync (reconnect or resync).
        logger.exception("notes: sending an update to document %s failed", document_id)


def send_update_on_commit(document_id: int, update: bytes) -> None:
    """Send a server-made update to the open editors once the transaction commits."""
    if update == crdt.EMPTY_UPDATE:
        return
    transaction.on_commit(lambda: send_update_now(document_id, update))
