"""Stand-ins for ``simpy.Resource(capacity=1)`` and ``simpy.Store`` that are cheaper and schedule
exactly the same events in the same order (so runs are identical).

simpy's resources spend most of a request in generic machinery (put/get queues scanned by
``_trigger_put`` / ``_trigger_get``, a ``Release`` event object per release) that a single-slot
FCFS resource or a FIFO does not need; every DMA transfer and every compute takes a slot, every
step passes through a few FIFOs. Both classes keep simpy's observable behaviour event for event
(simpy 4.1, resources/base.py and store.py).

``Channel`` (one slot, the units and the DRAM port):

* a request is an event queued in arrival order; the head of the queue is granted at once (an
  event scheduled now) when the slot is free, both when the request is made and when a
  release is processed;
* a release frees the slot at once and, when a request waits, schedules one event now whose
  processing grants the head of the queue (simpy's ``Release`` event and its ``_trigger_put``
  callback), so a waiter resumes two event hops after the release, as with simpy, and an
  event scheduled in between keeps its place. With nobody waiting that event does nothing
  (``release``), and is left out.

``Fifo`` (a store of ``capacity`` items, first in first out):

* a put is an event queued in arrival order; only the head of the put queue is tried, when a
  put is made and when a get is processed: if there is room its item goes in and the put is
  granted (scheduled now);
* a get likewise: only the head of the get queue is tried, when a get is made and when a put
  is processed: if an item is there, the get is granted with the oldest one.

The same events that do something, at the same times and priorities, scheduled in the same
order: the heap pops them in the same order (tests/engine/test_queues.py plays both against
simpy on random programs).
"""

from __future__ import annotations

from collections import deque
from types import TracebackType
from typing import Any

import simpy
from simpy.events import NORMAL, PENDING, Event


class ChannelRequest(Event):
    """A request for the channel: an event granted (value None) when the caller holds it;
    leaving its ``with`` block releases the channel."""

    __slots__ = ("channel",)

    def __init__(self, channel: Channel) -> None:
        self.env = channel.env
        self.callbacks = []
        self.channel = channel

    def __enter__(self) -> ChannelRequest:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._value is PENDING:  # never granted (the process was torn down): withdraw
            self.channel.waiting.remove(self)
        elif exc_type is not GeneratorExit:
            self.channel.release()


class Channel:
    """One slot, first come first served (module docstring)."""

    __slots__ = ("env", "waiting", "busy", "_schedule")

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.waiting: deque[ChannelRequest] = deque()
        self.busy = False
        self._schedule = env.schedule

    def request(self) -> ChannelRequest:
        req = ChannelRequest(self)
        if not self.busy and not self.waiting:  # free and nobody ahead: granted now
            self.busy = True
            req._ok = True
            req._value = None
            self._schedule(req, NORMAL)
            return req
        self.waiting.append(req)
        if not self.busy:
            self._grant()
        return req

    def release(self) -> None:
        self.busy = False
        if not self.waiting:
            # simpy's release event would find nobody to grant: a request made before it is
            # processed is granted at once (the slot is free) and resumes only after it (its
            # grant is scheduled later), so cannot release first. Leaving out an event that
            # does nothing keeps the order of all the others.
            return
        done = Event(self.env)
        done._ok = True
        done._value = None
        done.callbacks.append(self._granted_on_release)
        self._schedule(done, NORMAL)

    def _granted_on_release(self, _event: Event) -> None:
        if not self.busy and self.waiting:
            self._grant()

    def _grant(self) -> None:
        self.busy = True
        req = self.waiting.popleft()
        req._ok = True
        req._value = None
        self._schedule(req, NORMAL)


class Fifo:
    """A FIFO store of at most ``capacity`` items (module docstring); ``items`` may be filled
    before the run starts."""

    __slots__ = ("env", "capacity", "items", "putters", "getters", "_schedule")

    def __init__(self, env: simpy.Environment, capacity: float = float("inf")) -> None:
        self.env = env
        self.capacity = capacity
        self.items: deque[Any] = deque()
        self.putters: deque[Event] = deque()
        self.getters: deque[Event] = deque()
        self._schedule = env.schedule

    def put(self, item: Any) -> Event:
        ev = Event(self.env)
        ev.callbacks.append(self._try_get)
        if not self.putters and len(self.items) < self.capacity:  # room, nobody ahead
            self.items.append(item)
            ev._ok = True
            ev._value = None
            self._schedule(ev, NORMAL)
            return ev
        ev.item = item  # type: ignore[attr-defined]
        self.putters.append(ev)
        self._try_put()
        return ev

    def get(self) -> Event:
        ev = Event(self.env)
        ev.callbacks.append(self._try_put)
        if not self.getters and self.items:  # an item there, nobody ahead
            ev._ok = True
            ev._value = self.items.popleft()
            self._schedule(ev, NORMAL)
            return ev
        self.getters.append(ev)
        self._try_get()
        return ev

    def _try_put(self, _event: Event | None = None) -> None:
        if self.putters and len(self.items) < self.capacity:
            ev = self.putters.popleft()
            self.items.append(ev.item)  # type: ignore[attr-defined]
            ev._ok = True
            ev._value = None
            self._schedule(ev, NORMAL)

    def _try_get(self, _event: Event | None = None) -> None:
        if self.getters and self.items:
            ev = self.getters.popleft()
            ev._ok = True
            ev._value = self.items.popleft()
            self._schedule(ev, NORMAL)
