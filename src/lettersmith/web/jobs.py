"""Sends that run in a thread owned by the server, not by a browser's request.

Closing the tab does not stop a send, and every browser that opens the letter's send page
sees the same progress: the job is kept by letter (and club) for as long as the server
runs. The send itself is ``Project.send``, with its lock and journal: a second send of the
same workspace (from here or from the command line) is refused by the engine, and a job
started while one of this letter runs is the running one.

A job keeps data, not sentences: the page words it in the language of whoever looks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

from lettersmith.app.events import Event, Progress
from lettersmith.app.project import Project, SendPlan
from lettersmith.errors import LettersmithError
from lettersmith.translate import Language, use_language

JobState = Literal["running", "finished", "changed", "failed"]


@dataclass(frozen=True)
class Delivered:
    """One message's outcome, as the page shows it."""

    recipient: str
    address: str
    state: str  # sent, deferred, failed, unknown
    reply: str


@dataclass
class SendJob:
    letter: str
    club: str | None
    state: JobState = "running"
    done: int = 0
    total: int = 0
    problem: tuple[str, ...] = ()  # the engine's words, one line each, when it stopped
    delivered: tuple[Delivered, ...] = ()
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def running(self) -> bool:
        return self.state == "running"

    def on_event(self, event: Event) -> None:
        if isinstance(event, Progress) and event.stage == "send":
            with self.lock:
                self.done, self.total = event.done, event.total


Key = tuple[str, str | None]


class Jobs:
    """The server's sends, by (letter, club); safe to use from any thread."""

    def __init__(self) -> None:
        self._jobs: dict[Key, SendJob] = {}
        self._threads: dict[Key, threading.Thread] = {}
        self._lock = threading.Lock()

    def get(self, letter: str, club: str | None) -> SendJob | None:
        with self._lock:
            return self._jobs.get((letter, club))

    def start_send(
        self, project: Project, letter: str, club: str | None, digest: str, language: Language
    ) -> SendJob:
        """Send LETTER in a thread of its own if the plan now is the one whose ``digest`` the
        person saw; the running job instead if one of this letter runs already."""
        key = (letter, club)
        with self._lock:
            running = self._jobs.get(key)
            if running is not None and running.running:
                return running
            job = SendJob(letter, club)
            thread = threading.Thread(
                target=self._send,
                args=(job, project, digest, language),
                name=f"send {letter}" + (f" ({club})" if club else ""),
            )  # not a daemon: a server told to stop lets a send finish its batch
            self._jobs[key] = job
            self._threads[key] = thread
        thread.start()
        return job

    def wait(self, timeout: float | None = None) -> None:
        """Wait for every send to end (for tests and a server that stops)."""
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)

    @staticmethod
    def _send(job: SendJob, project: Project, digest: str, language: Language) -> None:
        def confirm(plan: SendPlan) -> bool:
            with job.lock:
                job.total = plan.todo
            return plan.digest == digest

        with use_language(language):
            try:
                result = project.send(
                    job.letter, club=job.club, confirm=confirm, on_event=job.on_event
                )
            except LettersmithError as error:
                with job.lock:
                    job.problem = tuple(str(error).splitlines())
                    job.state = "failed"
                return
            except Exception as error:  # a thread's failure must reach the page, not stderr
                with job.lock:
                    job.problem = (f"{type(error).__name__}: {error}",)
                    job.state = "failed"
                raise
        report = result.report
        with job.lock:
            if not result.confirmed:
                job.state = "changed"
                return
            if report is not None:
                job.delivered = tuple(
                    Delivered(
                        r.planned.out.recipient_id,
                        r.planned.out.address,
                        r.outcome.state,
                        r.outcome.reply,
                    )
                    for r in report.results
                )
                if report.stopped is not None:
                    job.problem = tuple(str(report.stopped).splitlines())
            job.state = "failed" if job.problem else "finished"
