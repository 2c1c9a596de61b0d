from django.db import models


class TimeStampedModel(models.Model):
    """Base for domain models: when a row was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class OpenSocket(models.Model):
    """One open live socket (a browser tab): who is online right now.

    A row is written when a socket connects and deleted when it closes. A process that
    dies leaves its rows behind, so a row counts only while ``seen_at`` is recent; an
    open socket refreshes it now and then (trellis.core.presence).
    """

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    opened_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "seen_at"], name="open_socket_user_seen")]

    def __str__(self) -> str:
        return f"Socket of {self.user_id} since {self.opened_at}"
