#!/usr/bin/env python3
"""Writes scenarios/replay-tuesday.csv: a synthetic chat log of one Tuesday, for
scenarios/replay-tuesday.toml (a `replay` stream).

Python 3 standard library only, seeded: the same script writes the same bytes (a test checks
the bundled file against it when python3 is present).

The day: chats from 07:00 to 22:00 on Tuesday 2026-11-24, as a Poisson process whose hourly
rate has a morning peak (10:00-12:00) and a smaller one after lunch (14:00-16:00), about 2,900
chats in all. Each chat has a topic (sales, support, billing) whose mix shifts during the day
(more sales in the evening), a language (en, de), and what the desk's log would say of it:
how long it waited, and either its handle time (answered) or nothing (the customer gave up
after the wait shown, `outcome = abandoned`).

Usage: python3 scripts/make-replay-log.py [OUT]   (default: scenarios/replay-tuesday.csv)
"""

import os
import random
import sys

SEED = 20261124
DAY = "2026-11-24"
# Chats per hour, from each hour on (07:00 to 21:00; nobody after 22:00).
HOURLY = {7: 60, 8: 130, 9: 210, 10: 290, 11: 300, 12: 220, 13: 230,
          14: 270, 15: 250, 16: 200, 17: 160, 18: 130, 19: 100, 20: 70, 21: 40}


def topic(rng, hour):
    sales = 0.15 if hour < 17 else 0.35
    u = rng.random()
    if u < sales:
        return "sales"
    return "billing" if u < sales + 0.15 else "support"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "scenarios", "replay-tuesday.csv")
    rng = random.Random(SEED)
    rows = []
    for hour in sorted(HOURLY):
        t = hour * 3600.0
        while True:
            t += rng.expovariate(HOURLY[hour] / 3600.0)
            if t >= (hour + 1) * 3600.0:
                break
            secs = int(t)
            stamp = "%sT%02d:%02d:%02d" % (DAY, secs // 3600, secs // 60 % 60, secs % 60)
            lang = "de" if rng.random() < 0.3 else "en"
            wait = rng.expovariate(1 / 45.0)
            patience = rng.expovariate(1 / 240.0)
            handle = rng.lognormvariate(5.8, 0.5)  # median about 5m30s
            if patience < wait:
                rows.append((stamp, topic(rng, hour), lang, "", "%.0f" % patience, "abandoned"))
            else:
                # Handle times as the desk's export writes them: mostly seconds, some as 7m12s.
                h = int(round(handle))
                cell = "%dm%02ds" % (h // 60, h % 60) if rng.random() < 0.2 else str(h)
                rows.append((stamp, topic(rng, hour), lang, cell, "%.0f" % wait, "answered"))
    with open(out, "w", newline="\n") as f:
        f.write("created_at,topic,language,duration,wait,outcome\n")
        for r in rows:
            f.write(",".join(r) + "\n")


if __name__ == "__main__":
    main()
