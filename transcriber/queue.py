"""The doorbell: huey tasks that tell a worker which recording to process.

huey on SQLite (``<var>/queue.db``) is the embedded default; huey on Redis lets
workers on other machines (GPU ones too) share the work. Messages carry only
a recording id: the database decides who does what (see ``pipeline``), so a
lost or duplicated message costs nothing — the sweep, run at worker start and
every minute, enqueues whatever is still waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey, crontab

from config.var_paths import VarPaths
from transcriber.errors import TranscriberError
from transcriber.pipeline import RecordingProcessor

QUEUE_NAME = "callwarden-transcription"


def make_huey(url: str, var_dir: Path, name: str = QUEUE_NAME) -> Huey:
    """huey on SQLite when ``url`` is empty, on Redis for ``redis://…``."""
    if not url:
        var_dir.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name=name, filename=str(VarPaths(var_dir).queue_db))
    if url.startswith(("redis://", "rediss://")):
        return RedisHuey(name=name, url=url)
    raise TranscriberError(f"queue.url: {url!r} is neither empty (SQLite) nor redis://…")


class TranscriptionQueue:
    """Tasks registered once per process, producers and consumers alike."""

    def __init__(
        self,
        huey: Huey,
        processor: Callable[[], RecordingProcessor],
        pending: Callable[[], list[int]],
        high_water: int = 200,
        batch: int = 8,
    ) -> None:
        self.huey = huey
        self._make_processor = processor
        self._processor: RecordingProcessor | None = None
        self._pending = pending
        self.high_water = high_water
        self.batch = batch
        self.workers = 1

        @huey.task(name="transcribe_recording")  # type: ignore[untyped-decorator]
        def transcribe_recording(recording_id: int) -> str:
            batch = [recording_id, *self._also(recording_id)]
            return self.processor().process_batch(batch)[0].status

        @huey.periodic_task(crontab(minute="*"), name="sweep_recordings")  # type: ignore[untyped-decorator]
        def sweep_recordings() -> int:
            return self.enqueue_pending()

        self._transcribe = transcribe_recording

    def processor(self) -> RecordingProcessor:
        """This process's processor, built on first use (after the worker process starts)."""
        if self._processor is None:
            self._processor = self._make_processor()
        return self._processor

    def _also(self, recording_id: int) -> list[int]:
        """Other waiting recordings to decode with this one, leaving the other workers a share."""
        if self.batch <= 1:
            return []
        others = [i for i in self._pending() if i != recording_id]
        share = len(others) // self.workers
        return others[: min(self.batch - 1, share)]

    def enqueue(self, recording_id: int) -> None:
        self._transcribe(recording_id)

    def enqueue_pending(self) -> int:
        """Enqueue what waits, unless the queue is already full (backpressure)."""
        room = self.high_water - int(self.huey.pending_count())
        if room <= 0:
            return 0
        waiting = self._pending()[:room]
        for recording_id in waiting:
            self.enqueue(recording_id)
        return len(waiting)

    def run_workers(self, workers: int) -> None:
        """Run the consumer until SIGINT/SIGTERM; each worker process loads the model once."""
        self.workers = workers
        self.enqueue_pending()
        consumer = self.huey.create_consumer(
            workers=workers, worker_type="process", periodic=True, check_worker_health=True
        )
        consumer.run()
