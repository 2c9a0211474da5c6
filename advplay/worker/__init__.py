"""Qt-free training worker: a child process running a Session, commands in, snapshots out."""

from advplay.worker.handle import WorkerHandle

__all__ = ["WorkerHandle"]
