#!/usr/bin/env python3
"""Tests of bench/summarise-run: the table bench/run prints groups each workload row's
systems, stdb first, and its ratios point the way their headers say (ctest:
bench_summarise_run_test)."""
import importlib.machinery
import importlib.util
import os
import unittest

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "summarise-run")
_loader = importlib.machinery.SourceFileLoader("summarise_run", _PATH)
_spec = importlib.util.spec_from_loader("summarise_run", _loader)
summarise_run = importlib.util.module_from_spec(_spec)
_loader.exec_module(summarise_run)


def transfer(system, durability, tx_per_s, p99, unchanged=True, cpu=None):
    result = {
        "system": system, "alpha": 1.5, "tx_per_s": tx_per_s, "errors": 1, "conflicts": 2,
        "latency_us": {"p50": 10, "p99": p99, "p99.9": 3 * p99},
        "total_unchanged": unchanged, "client_failures": []}
    if cpu is not None:
        result["server_cpu_us_per_tx"] = cpu
    return {"durability": durability, "setting": f"{system} {durability}", "result": result}


def fanout(system, rate, rows_per_s, p99, kept_up):
    return {"mode": "load", "system": system, "rate": rate, "rows_per_tx": 100,
            "subscribers": 1000, "delivered_rows_per_s": rows_per_s, "kept_up": kept_up,
            "valid": True, "tx_failed": 0, "delay_us": {"p50": 1, "p99": p99, "p99.9": p99}}


RUN = {
    "transfer": {"runs": [
        transfer("postgres", "durable", 1000, 50_000, cpu=412.25),
        transfer("redis", "durable", 20_000, 4_000, unchanged=False),
        transfer("stdb", "durable", 40_000, 2_000),
        transfer("stdb", "relaxed", 80_000, 1_000),
    ]},
    "fanout": {"runs": [fanout("stdb", 20, 20_000, 9_000, True),
                        fanout("postgres", 20, 7_000, 9_000_000, False)]},
}


class TableTest(unittest.TestCase):
    def rows(self):
        return [line for line in summarise_run.table(RUN).splitlines()[2:]]

    def test_groups_rows_with_stdb_first_and_keeps_first_seen_group_order(self):
        systems = [line.split("|")[3].split("**")[1] for line in self.rows()]
        self.assertEqual(systems, ["stdb", "redis", "postgres", "stdb", "stdb", "postgres"])

    def test_ratios_are_stdb_over_peer(self):
        postgres = self.rows()[2].split("|")
        self.assertEqual(postgres[10].strip(), "40.00")  # throughput: stdb 40x faster
        self.assertEqual(postgres[11].strip(), "0.04")  # p99: stdb's 1/25 of postgres's
        self.assertEqual(postgres[9].strip(), "3")       # errors include conflicts
        self.assertEqual(postgres[8].strip(), "412.2")   # server CPU per transaction
        self.assertEqual(self.rows()[0].split("|")[8].strip(), "-")  # not measured

    def test_marks_invalid_and_behind_runs(self):
        self.assertIn("(INVALID)", self.rows()[1])
        self.assertIn("(behind)", self.rows()[5])
        self.assertIn("7,000 rows/s", self.rows()[5])

    def test_a_group_without_stdb_has_no_ratios(self):
        run = {"transfer": {"runs": [transfer("redis", "durable", 1, 1)]}}
        row = summarise_run.table(run).splitlines()[2].split("|")
        self.assertEqual((row[10].strip(), row[11].strip()), ("", ""))


if __name__ == "__main__":
    unittest.main()
