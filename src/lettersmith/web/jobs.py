"""Long work (a send) that runs in a thread owned by the server, not by a browser's request."""

from __future__ import annotations


class Jobs:
    """The server's background jobs, by letter (and club)."""
