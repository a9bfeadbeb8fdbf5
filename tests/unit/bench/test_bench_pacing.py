"""Send loops: intended send times at a rate (no coordinated omission), counts, durations."""

import asyncio

import pytest

from soakwatch.bench.pacing import Plan, now_ns, read_stamp, send_loop, split, stamped


def test_split_spreads_evenly():
    assert split(10, 3) == [4, 3, 3]
    assert sum(split(7, 7)) == 7


def test_stamp_round_trip():
    payload = stamped(123_456_789_012, b"xyz")
    assert len(payload) == 11 and read_stamp(payload) == 123_456_789_012


@pytest.mark.timeout(10)
async def test_paced_intended_times_stay_on_schedule_through_a_stall():
    rate, dues = 1000.0, []

    async def send(due):
        dues.append(due)
        if len(dues) == 3:
            await asyncio.sleep(0.05)  # a 50 ms stall of the sender

    start = now_ns()
    sent = await send_loop(Plan([20], rate), 0, start, send)
    assert sent == 20
    assert dues == [start + i * 1_000_000 for i in range(20)]  # every message keeps its intended time
    # the messages held up by the stall are sent late: latency from the intended time shows it
    assert now_ns() - dues[3] >= 45_000_000


@pytest.mark.timeout(10)
async def test_clients_interleave_at_the_total_rate():
    dues = {0: [], 1: []}
    start = now_ns()
    plan = Plan([3, 3], rate=100.0)

    async def run(client):
        async def send(due):
            dues[client].append(due - start)

        await send_loop(plan, client, start, send)

    await asyncio.gather(run(0), run(1))
    assert dues[0] == [0, 20_000_000, 40_000_000]
    assert dues[1] == [10_000_000, 30_000_000, 50_000_000]


@pytest.mark.timeout(10)
async def test_duration_stops_an_unbounded_loop():
    async def send(due):
        await asyncio.sleep(0)

    start = now_ns()
    sent = await send_loop(Plan([None], rate=200.0, duration=0.3), 0, start, send)
    assert 55 <= sent <= 60
    assert (now_ns() - start) / 1e9 == pytest.approx(0.3, abs=0.1)


@pytest.mark.timeout(10)
async def test_flat_out_uses_the_send_time():
    dues = []

    async def send(due):
        dues.append(due)

    before = now_ns()
    await send_loop(Plan([100]), 0, before, send)
    assert len(dues) == 100 and dues == sorted(dues) and dues[0] >= before
