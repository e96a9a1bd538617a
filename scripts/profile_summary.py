#!/usr/bin/env python3
"""Where the time goes in a LibTorch profiler trace (`tinynmt translate --profile F` or
`tinynmt bench --profile DIR`): the operators' self time (their own time, without the operators
they called), summed per name over all threads, largest first, with the share of the summed
self time. Python 3 standard library only.

    scripts/profile_summary.py TRACE.json [--top N]
"""
import argparse
import collections
import json
import sys


def self_times(events):
    """events: complete ('X') events. Returns {name: (self_us, calls)}: per thread, an event's
    self time is its duration less that of the events directly nested inside it."""
    by_thread = collections.defaultdict(list)
    for e in events:
        by_thread[(e.get("pid"), e.get("tid"))].append(e)
    totals = collections.defaultdict(lambda: [0.0, 0])
    for evs in by_thread.values():
        evs.sort(key=lambda e: (float(e["ts"]), -float(e.get("dur", 0))))
        stack = []  # [end, event, child_us]
        def close(entry):
            end, ev, child = entry
            t = totals[ev["name"]]
            t[0] += max(0.0, float(ev.get("dur", 0)) - child)
            t[1] += 1
        for e in evs:
            start, dur = float(e["ts"]), float(e.get("dur", 0))
            while stack and stack[-1][0] <= start:
                close(stack.pop())
            if stack:
                stack[-1][2] += dur
            stack.append([start + dur, e, 0.0])
        while stack:
            close(stack.pop())
    return totals


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trace")
    ap.add_argument("--top", type=int, default=12)
    a = ap.parse_args()
    try:
        with open(a.trace) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"profile_summary: {a.trace}: {e}")
    events = data["traceEvents"] if isinstance(data, dict) else data
    events = [e for e in events if e.get("ph") == "X" and "dur" in e and "name" in e]
    if not events:
        sys.exit(f"profile_summary: {a.trace}: no complete events")
    totals = self_times(events)
    total = sum(t[0] for t in totals.values())
    print(f"{a.trace}: {len(events)} events, summed self time {total / 1e3:.1f} ms")
    print(f"{'operator':<40} {'self ms':>10} {'share':>7} {'calls':>8}")
    for name, (us, calls) in sorted(totals.items(), key=lambda kv: -kv[1][0])[: a.top]:
        print(f"{name[:40]:<40} {us / 1e3:>10.1f} {100 * us / total:>6.1f}% {calls:>8}")


if __name__ == "__main__":
    main()
