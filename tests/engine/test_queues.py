"""engine/queues.py: Channel and Fifo replay simpy.Resource(capacity=1) and simpy.Store event for
event. Random programs (processes that take slots, hold them 0-3 cycles, put and get items,
sometimes without waiting for the put) run once on simpy's classes and once on ours; the logs
of (cycle, process, action, value), in the order things happened, must be equal."""

from __future__ import annotations

import random

import pytest
import simpy

from accelsim.engine.queues import Channel, Fifo


def _program(seed: int, ours: bool) -> list[tuple[int, int, str, object]]:
    rng = random.Random(seed)
    env = simpy.Environment()
    channels = [Channel(env) if ours else simpy.Resource(env, capacity=1) for _ in range(2)]
    fifos = []
    for _ in range(3):
        capacity = rng.choice([1, 2, 3, float("inf")])
        f = Fifo(env, capacity) if ours else simpy.Store(env, capacity)
        f.items.extend(range(rng.randrange(0, 2)))
        fifos.append(f)
    log: list[tuple[int, int, str, object]] = []
    plans = [[(rng.choice("hpgPw"), rng.randrange(2), rng.randrange(3), rng.randrange(4))
              for _ in range(rng.randrange(5, 25))] for _ in range(rng.randrange(2, 7))]

    def proc(pid: int, plan: list[tuple[str, int, int, int]]):
        for n, (action, c, f, d) in enumerate(plan):
            if action == "h":  # take a slot, hold it d cycles
                with channels[c].request() as req:
                    yield req
                    log.append((int(env.now), pid, "granted", c))
                    if d:
                        yield env.timeout(d)
                log.append((int(env.now), pid, "released", c))
            elif action == "p":
                yield fifos[f].put((pid, n))
                log.append((int(env.now), pid, "put", f))
            elif action == "P":  # put without waiting (a token returned)
                fifos[f].put((pid, n))
                log.append((int(env.now), pid, "put-nowait", f))
            elif action == "g":
                item = yield fifos[f].get()
                log.append((int(env.now), pid, "got", item))
            else:
                yield env.timeout(d)
                log.append((int(env.now), pid, "woke", d))

    for pid, plan in enumerate(plans):
        env.process(proc(pid, plan))
    env.run(until=500)
    return log


@pytest.mark.parametrize("seed", range(300))
def test_same_event_order_as_simpy(seed: int) -> None:
    assert _program(seed, ours=True) == _program(seed, ours=False)


def test_channel_is_fcfs() -> None:
    """Three requests at cycle 0 on one slot held 5 cycles each: granted at 0, 5, 10."""
    env = simpy.Environment()
    ch = Channel(env)
    granted: list[tuple[int, int]] = []

    def user(i: int):
        with ch.request() as req:
            yield req
            granted.append((i, int(env.now)))
            yield env.timeout(5)

    for i in range(3):
        env.process(user(i))
    env.run()
    assert granted == [(0, 0), (1, 5), (2, 10)]
