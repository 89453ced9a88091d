"""Benchmark of the business calendar (syndesk.core.hours).

Run: .venv/bin/python bench/bench_hours.py
Prints the best of N runs for long `between` spans and large `add` durations, cold (fresh
calendar, empty caches) and warm. Figures are recorded in docs/performance.md.
"""

import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syndesk.core.hours import BusinessCalendar

PARIS = ZoneInfo("Europe/Paris")
RUNS = 20


def measure(label: str, func) -> None:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    print(
        f"{label:<48} best {min(samples) * 1e3:8.3f} ms   median "
        f"{statistics.median(samples) * 1e3:8.3f} ms"
    )


def main() -> None:
    a = datetime(2026, 1, 1, 9, tzinfo=PARIS)
    b = datetime(2036, 1, 1, 9, tzinfo=PARIS)
    measure("between, 10 years, cold calendar", lambda: BusinessCalendar.default().between(a, b))
    warm = BusinessCalendar.default()
    warm.between(a, b)
    measure("between, 10 years, warm calendar", lambda: warm.between(a, b))
    measure(
        "add 2000 business hours, cold calendar",
        lambda: BusinessCalendar.default().add(a, timedelta(hours=2000)),
    )
    measure("add 2000 business hours, warm calendar", lambda: warm.add(a, timedelta(hours=2000)))
    measure("add 4 business hours (ticket SLA), warm", lambda: warm.add(a, timedelta(hours=4)))
    measure("is_open, warm", lambda: warm.is_open(a))


if __name__ == "__main__":
    main()
