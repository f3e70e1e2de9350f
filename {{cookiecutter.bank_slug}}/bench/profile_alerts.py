"""Where the alert dispatcher's CPU goes: its two threads measured and profiled apart, against the mock.

    python bench/profile_alerts.py [--alerts 5000] [--no-profile] [--top 25] [--postgres-url URL] [--no-sqlite] ...

The same setup as bench/alerts.py (the mock WeChat API in its own process with 50 ms per call, --alerts
pending alerts for --users bound followers), then one `Dispatcher.drain`. Prints the CPU per alert of the
dispatcher's main thread (claims, decides, records) and of its send loop's thread (asyncio, aiohttp: only
talks to WeChat), read with time.thread_time() in each thread, and the CPU per call of the ceiling's own load
client (the same aiohttp client, nothing else): the floor of the send loop. Unless --no-profile, a second
drain of as many alerts runs under cProfile in both threads (one profile each, timed by each thread's
CPU clock, not the wall clock, so waiting on the database or the network does not count; sorted by own time).
"""

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

from alerts import _ceiling, bench_setup, bind, fill_outbox  # bench/ is on sys.path
from scratch import add_database_options, databases

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from {{ cookiecutter.bank_slug }}.features.alerts.models import DELIVERED  # noqa: E402
from {{ cookiecutter.bank_slug }}.outbox.dispatcher import Dispatcher  # noqa: E402


def _on_loop(dispatcher: Dispatcher, function):
    async def call():
        return function()

    return asyncio.run_coroutine_threadsafe(call(), dispatcher.sender.loop).result()


def measured_drain(app, users: int, first: int, args: argparse.Namespace, profile: bool) -> tuple[dict, list]:
    """Fill the outbox, drain it; CPU seconds of each thread and the wall time (and the two profiles)."""
    fill_outbox(app, users, args.alerts, first)
    with app.app_context():  # as `flask alerts run` does
        return _drain(app, args, profile)


def _drain(app, args: argparse.Namespace, profile: bool) -> tuple[dict, list]:
    dispatcher = Dispatcher(app, concurrency=args.concurrency)
    profiles = [cProfile.Profile(time.thread_time), cProfile.Profile(time.thread_time)] if profile else []
    if profile:
        _on_loop(dispatcher, profiles[1].enable)
        profiles[0].enable()
    loop_started, main_started = _on_loop(dispatcher, time.thread_time), time.thread_time()
    started, process_started = time.monotonic(), time.process_time()
    counts = dispatcher.drain(wait_seconds=5)
    figures = {"wall": time.monotonic() - started, "main": time.thread_time() - main_started,
               "loop": _on_loop(dispatcher, time.thread_time) - loop_started,
               "process": time.process_time() - process_started, "delivered": counts[DELIVERED]}
    if profile:
        profiles[0].disable()
        _on_loop(dispatcher, profiles[1].disable)
    dispatcher.close()
    return figures, profiles


def ceiling_client_cpu(mock_url: str, config: dict, openids: list[str], concurrency: int) -> tuple[float, float]:
    """The ceiling run (bench/alerts.py): its rate, and the load client's CPU per call in this process."""
    started = time.process_time()
    rate = _ceiling(mock_url, config, openids, concurrency)
    return rate, (time.process_time() - started) / max(1.0, rate * 5.0)


def run(database_url: str, args: argparse.Namespace) -> None:
    with bench_setup(database_url, args) as (app, mock_url, config, openids):
        rate, client_cpu = ceiling_client_cpu(mock_url, config, openids, args.concurrency)
        print(f"{database_url.split(':')[0]}: ceiling {rate:.0f} calls/s; its load client "
              f"{client_cpu * 1000:.3f} ms CPU per call")
        bind(app, openids)
        figures, _ = measured_drain(app, len(openids), 0, args, profile=False)
        per = 1000 / max(1, figures["delivered"])
        print(f"  drain {figures['delivered']} in {figures['wall']:.1f} s ({figures['delivered'] / figures['wall']:.0f}"
              f"/s): main thread {figures['main'] * per:.3f} ms/alert, send loop {figures['loop'] * per:.3f}, "
              f"process {figures['process'] * per:.3f}")
        if args.no_profile:
            return
        figures, profiles = measured_drain(app, len(openids), args.alerts, args, profile=True)
        per = 1000 / max(1, figures["delivered"])
        print(f"  under cProfile: main thread {figures['main'] * per:.3f} ms/alert, send loop "
              f"{figures['loop'] * per:.3f}")
        for name, profile in zip(("main thread", "send loop"), profiles, strict=True):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(f"--- {name} ---")
            print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:20000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--mock-server", choices=("async", "threads"), default="async")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime")
    add_database_options(parser)
    args = parser.parse_args()
    for database_url in databases(args):
        run(database_url, args)


if __name__ == "__main__":
    main()
