"""The model's turns (`matching/turns.py`): a waiting request goes before background work."""

import threading
import time
from collections.abc import Callable

from matching.turns import PriorityLock, background, in_background


def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the lock's state"
        time.sleep(0.001)


def test_a_waiting_request_takes_the_turn_before_the_next_background_one() -> None:
    lock = PriorityLock()
    order: list[str] = []
    holding, release = threading.Event(), threading.Event()

    def first_chunk() -> None:
        with background(), lock.hold():
            holding.set()
            release.wait(10)

    def next_chunk() -> None:
        with background(), lock.hold():
            order.append("background")

    def request() -> None:
        with lock.hold():
            order.append("request")

    threads = [threading.Thread(target=first_chunk)]
    threads[0].start()
    assert holding.wait(10)
    threads.append(threading.Thread(target=next_chunk))
    threads[1].start()  # the background's next chunk waits first …
    _until(lambda: lock.waiting == 1)
    threads.append(threading.Thread(target=request))
    threads[2].start()  # … then a request
    _until(lambda: lock.waiting == 2 and lock.urgent == 1)
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == ["request", "background"]


def test_background_is_scoped_to_its_block() -> None:
    lock = PriorityLock()
    assert not in_background()
    with background():
        assert in_background()
        with lock.hold():
            assert lock.busy
    assert not in_background() and not lock.busy
    with lock.hold():
        assert lock.busy and lock.urgent == 0
