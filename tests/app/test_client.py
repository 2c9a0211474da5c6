"""The worker client's bookkeeping, against a stand-in for the worker process."""

from advplay.app.client import WorkerClient
from advplay.core.config import Config


class RecordingHandle:
    """Records the commands a WorkerHandle would send; "starts" on ensure_running."""

    def __init__(self):
        self.sent, self.alive = [], False

    def ensure_running(self) -> bool:
        started, self.alive = not self.alive, True
        return started

    def send(self, *command) -> None:
        self.sent.append(command)

    def stop(self) -> None:
        self.alive = False


def test_a_new_worker_hears_the_windows_choices_before_its_first_session(qtbot):
    client = WorkerClient()
    client.handle = RecordingHandle()
    client.config = Config()
    client.set_speed(50)
    client.set_frame_rate(30)
    client.skip_extras({"optimal_discriminator"})
    assert client.handle.sent == []  # no worker yet: kept for when one starts
    client.play()
    assert client.handle.sent == [("speed", 50), ("frame_rate", 30),
                                  ("skip_extras", ["optimal_discriminator"]),
                                  ("configure", client.config.to_dict(), None), ("play",)]
    client.handle.stop()  # the worker died: the next Play starts one that is told again
    client.handle.sent.clear()
    client.play()
    assert [command[0] for command in client.handle.sent] == ["speed", "frame_rate",
                                                              "skip_extras", "configure", "play"]
    client.handle.sent.clear()
    client.set_frame_rate(5)  # a running worker hears it at once
    assert client.handle.sent == [("frame_rate", 5)]


def test_skipped_extras_are_sent_only_when_they_change(qtbot):
    client = WorkerClient()
    client.handle = RecordingHandle()
    client.config = Config()
    client.play()
    client.handle.sent.clear()
    client.skip_extras(set())  # the default: nothing skipped
    assert client.handle.sent == []
    client.skip_extras({"optimal_discriminator"})
    client.skip_extras({"optimal_discriminator"})
    assert client.handle.sent == [("skip_extras", ["optimal_discriminator"])]
