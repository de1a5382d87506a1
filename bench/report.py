"""Turn one run's results.json into summary.md (the tables) and summary.json (the same
figures, the ratios and each target of issues 6 and 12 as met or missed).

Every ratio is computed inside the run (ours / peer, ours / Tornado hello), because the
machine is shared and absolute numbers drift. With ROUNDS > 1 each figure is the median
of the rounds. `python bench/report.py bench/results/<stamp>` re-renders a run.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

PAGES = ["GET /login", "GET /dashboard", "GET /api/me"]
OURS = ["ours-database", "ours-stateless"]
LABELS = {
    "peer": "Next.js peer",
    "ours-database": "ours, database sessions",
    "ours-stateless": "ours, stateless sessions",
    "hello": "bare Tornado hello",
    "ours-w1": "ours, --workers 1",
    "ours-w2": "ours, --workers 2",
}
RSS_LIMIT_MB = 120
BUSY_REST_CPU = 50  # % of one core used by everything but the server, its database and wrk
FIELDS = (
    "rps",
    "p50_ms",
    "p99_ms",
    "max_ms",
    "bad",
    "socket_errors",
    "rest_cpu_pct",
    "server_cpu_pct",
    "db_cpu_pct",
)


def median_runs(runs: list[dict]) -> dict[tuple[str, str, int], dict]:
    """(target, case, connections) -> the median of each figure over the rounds."""
    groups: dict[tuple[str, str, int], list[dict]] = {}
    for run in runs:
        groups.setdefault((run["target"], run["case"], run["connections"]), []).append(run)
    out = {}
    for key, group in groups.items():
        merged = {f: statistics.median(r.get(f, 0) for r in group) for f in FIELDS}
        merged["rounds"] = len(group)
        merged["errors"] = sum(r["bad"] + r["socket_errors"] for r in group)
        merged["first_bad_status"] = next((r["first_bad_status"] for r in group if r["first_bad_status"]), 0)
        merged["command"] = group[0]["command"]
        out[key] = merged
    return out


def median_memory(memory: list[dict]) -> dict[str, dict]:
    groups: dict[str, list[dict]] = {}
    for m in memory:
        groups.setdefault(m["target"], []).append(m)
    return {
        t: {f: max(m[f] for m in ms) for f in ("rss_mib_max", "peak_mib_max", "tree_rss_mib", "workers")}
        for t, ms in groups.items()
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def fmt(value: float | None, digits: int = 1, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{suffix}"


def fx(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


class Figures:
    def __init__(self, data: dict) -> None:
        self.data = data
        self.runs = median_runs(data["runs"])
        self.memory = median_memory(data["memory"])
        ceilings = [c["per_second"] for c in data["ceiling"]]
        self.ceiling = statistics.median(ceilings) if ceilings else None
        self.connections = sorted({k[2] for k in self.runs if k[1] in PAGES})
        self.high = max(self.connections, default=64)

    def get(self, target: str, case: str, connections: int, field: str) -> float | None:
        run = self.runs.get((target, case, connections))
        return None if run is None else run[field]

    def login_rps(self, target: str) -> float | None:
        key = next((k for k in self.runs if k[0] == target and k[1] == "POST /api/auth/login"), None)
        return self.runs[key]["rps"] if key else None

    # --- the targets: issue 12's for the database path, issue 6's for the rest ---

    def targets(self) -> list[dict]:
        rows: list[dict] = []
        c = self.high

        def add(name: str, goal: str, measured: float | None, met: bool | None, shown: str) -> None:
            rows.append(
                {
                    "target": name,
                    "goal": goal,
                    "value": measured,
                    "measured": shown,
                    "status": "n/a" if met is None else ("met" if met else "missed"),
                }
            )

        def at_least(value: float | None, goal: float) -> bool | None:
            return None if value is None else value >= goal

        def at_most(value: float | None, goal: float) -> bool | None:
            return None if value is None else value <= goal

        for case, rps_goal, p99_goal in (
            ("GET /login", 4, 0.1),  # issue 6
            ("GET /dashboard", 2, 0.5),  # issue 12
            ("GET /api/me", 1.0, 1.0),  # issue 12
        ):
            for target in OURS:
                mode = target.split("-", 1)[1]
                r = ratio(self.get(target, case, c, "rps"), self.get("peer", case, c, "rps"))
                add(
                    f"{case} ({mode}) req/s vs peer, c{c}",
                    f"≥ {rps_goal:g}×",
                    r,
                    at_least(r, rps_goal),
                    f"{fx(r)} ({fmt(self.get(target, case, c, 'rps'))} vs {fmt(self.get('peer', case, c, 'rps'))} req/s)",
                )
                p = ratio(self.get(target, case, c, "p99_ms"), self.get("peer", case, c, "p99_ms"))
                add(
                    f"{case} ({mode}) p99 vs peer, c{c}",
                    f"≤ {p99_goal:.2f}×",
                    p,
                    at_most(p, p99_goal),
                    f"{fx(p)} ({fmt(self.get(target, case, c, 'p99_ms'))} vs {fmt(self.get('peer', case, c, 'p99_ms'))} ms)",
                )
        for case, goal in (("GET /login", 0.5), ("GET /dashboard", 0.17), ("GET /api/me", 0.3)):
            for target in OURS:
                mode = target.split("-", 1)[1]
                r = ratio(
                    self.get(target, case, c, "rps"), self.get("hello", "GET / (hello world)", c, "rps")
                )
                add(
                    f"{case} ({mode}) req/s vs Tornado hello, c{c}",
                    f"≥ {goal:.0%}",
                    r,
                    at_least(r, goal),
                    f"{fmt(None if r is None else 100 * r)} % ({fmt(self.get(target, case, c, 'rps'))} vs "
                    f"{fmt(self.get('hello', 'GET / (hello world)', c, 'rps'))} req/s)",
                )
        w2 = self.login_rps("ours-w2")
        r = ratio(w2, self.ceiling)
        add(
            "login throughput, --workers 2, vs bcrypt ceiling",
            "≥ 90%",
            r,
            at_least(r, 0.9),
            f"{fmt(None if r is None else 100 * r)} % ({fmt(w2, 2)} vs {fmt(self.ceiling, 2)} logins/s)",
        )
        for target in OURS:
            mode = target.split("-", 1)[1]
            quiet = next((v for k, v in self.runs.items() if k[:2] == (target, "GET /api/me quiet")), None)
            storm = next((v for k, v in self.runs.items() if k[:2] == (target, "GET /api/me storm")), None)
            r = ratio(storm and storm["p99_ms"], quiet and quiet["p99_ms"])
            add(
                f"GET /api/me p99 under a login storm ({mode})",
                "< 2×",
                r,
                None if r is None else r < 2,
                f"{fx(r)} ({fmt(storm and storm['p99_ms'], 2)} vs quiet {fmt(quiet and quiet['p99_ms'], 2)} ms)",
            )
        one = self.get("ours-w1", "GET /dashboard", 64, "rps")
        two = self.get("ours-w2", "GET /dashboard", 64, "rps")
        r = ratio(two, one)
        add(
            "GET /dashboard --workers 2 vs 1, c64",
            "≥ 1.7×",
            r,
            at_least(r, 1.7),
            f"{fx(r)} ({fmt(two)} vs {fmt(one)} req/s)",
        )
        ours_memory = {t: m for t, m in self.memory.items() if t.startswith("ours")}
        if ours_memory:
            after = max(m["rss_mib_max"] for m in ours_memory.values()) * 1.048576
            peak = max(m["peak_mib_max"] for m in ours_memory.values()) * 1.048576
            add(
                "RSS per worker after the run",
                f"< {RSS_LIMIT_MB} MB",
                after,
                after < RSS_LIMIT_MB,
                f"{after:.0f} MB (peak {peak:.0f} MB)",
            )
        return rows

    # --- the tables ---

    def pages_table(self) -> list[str]:
        lines = [
            "| request | conns | server | req/s | p50 ms | p99 ms | errors | ÷ peer req/s | ÷ peer p99 | ÷ hello req/s | server CPU % | DB CPU % | rest CPU % |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for case in PAGES:
            for c in self.connections:
                hello = self.get("hello", "GET / (hello world)", c, "rps")
                for target in ("peer", *OURS):
                    run = self.runs.get((target, case, c))
                    if run is None:
                        continue
                    ours = target != "peer"
                    peer_rps, peer_p99 = self.get("peer", case, c, "rps"), self.get("peer", case, c, "p99_ms")
                    lines.append(
                        f"| {case} | {c} | {LABELS[target]} | {fmt(run['rps'])} | {fmt(run['p50_ms'], 2)} | "
                        f"{fmt(run['p99_ms'], 2)} | {self.errors(run)} | "
                        f"{fx(ratio(run['rps'], peer_rps)) if ours else ''} | "
                        f"{fx(ratio(run['p99_ms'], peer_p99)) if ours else ''} | "
                        f"{fx(ratio(run['rps'], hello))} | {fmt(run['server_cpu_pct'], 0)} | "
                        f"{fmt(run['db_cpu_pct'], 0)} | {fmt(run['rest_cpu_pct'], 0)} |"
                    )
        for c in self.connections:
            run = self.runs.get(("hello", "GET / (hello world)", c))
            if run:
                lines.append(
                    f"| GET / | {c} | {LABELS['hello']} | {fmt(run['rps'])} | {fmt(run['p50_ms'], 2)} | "
                    f"{fmt(run['p99_ms'], 2)} | {self.errors(run)} | | | 1.00× | "
                    f"{fmt(run['server_cpu_pct'], 0)} | | {fmt(run['rest_cpu_pct'], 0)} |"
                )
        return lines

    @staticmethod
    def errors(run: dict) -> str:
        if not run["errors"]:
            return "0"
        status = f", first bad status {run['first_bad_status']}" if run["first_bad_status"] else ""
        return f"**{run['errors']}**{status}"

    def other_table(self) -> list[str]:
        lines = [
            "| measurement | server | conns | req/s | p50 ms | p99 ms | errors | note |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]
        for (target, case, c), run in sorted(self.runs.items()):
            if case in PAGES and not target.startswith("ours-w") or case.startswith("GET / "):
                continue
            note = ""
            if case == "POST /api/auth/login":
                note = f"{fmt(None if not self.ceiling else 100 * run['rps'] / self.ceiling)} % of the bcrypt ceiling"
            elif case == "GET /api/me storm":
                quiet = self.runs.get((target, "GET /api/me quiet", c))
                note = f"p99 {fx(ratio(run['p99_ms'], quiet and quiet['p99_ms']))} the quiet p99"
            elif case == "GET /dashboard" and target == "ours-w2":
                note = f"{fx(ratio(run['rps'], self.get('ours-w1', case, c, 'rps')))} --workers 1"
            lines.append(
                f"| {case} | {LABELS.get(target, target)} | {c} | {fmt(run['rps'])} | {fmt(run['p50_ms'], 2)} | "
                f"{fmt(run['p99_ms'], 2)} | {self.errors(run)} | {note} |"
            )
        lines.append(
            f"| bcrypt ceiling (checkpw, cost {self.data['meta']['knobs']['BCRYPT_ROUNDS']}, one thread per core) "
            f"| no server | | {fmt(self.ceiling, 2)} | | | | verifications per second |"
        )
        return lines

    def memory_table(self) -> list[str]:
        lines = [
            "| server | workers | RSS per worker after the run, MiB | peak RSS per worker (VmHWM), MiB | whole tree now, MiB |",
            "|---|---:|---:|---:|---:|",
        ]
        for target, m in self.memory.items():
            lines.append(
                f"| {LABELS.get(target, target)} | {m['workers']} | {m['rss_mib_max']:.0f} | "
                f"{m['peak_mib_max']:.0f} | {m['tree_rss_mib']:.0f} |"
            )
        return lines

    def warnings(self) -> list[str]:
        """What makes this run's figures less trustworthy: failed responses, a busy machine."""
        out = []
        failed = [k for k, r in self.runs.items() if r["errors"]]
        if failed:
            out.append(
                f"- **{len(failed)} measurements had errors** (see the errors column): their figures do "
                "not measure the intended page."
            )
        busy = [k for k, r in self.runs.items() if r["rest_cpu_pct"] > BUSY_REST_CPU]
        if busy:
            out.append(
                f"- {len(busy)} of {len(self.runs)} measurements ran while other processes (PostgreSQL "
                f"included) used more than {BUSY_REST_CPU} % of a core (rest CPU column): the machine "
                "was busy, so absolute figures are low and ratios noisier than usual."
            )
        return [*out, ""] if out else []

    def markdown(self, targets: list[dict]) -> str:
        meta = self.data["meta"]
        machine, knobs = meta["machine"], meta["knobs"]
        met = sum(t["status"] == "met" for t in targets)
        out = [
            f"# Benchmark {meta['stamp']}",
            "",
            f"{machine['cores']} cores ({machine['cpu']}), Python {machine['python']}, Tornado {machine['tornado']}, "
            f"SQLAlchemy {machine['sqlalchemy']}, bcrypt {machine['bcrypt']}, {machine['wrk']}, node {machine['node']}; "
            f"commit {machine['git']}; load average {' '.join(machine['loadavg_start'])} at the start, "
            f"{' '.join(machine.get('loadavg_end', []))} at the end.",
            f"DURATION={knobs['DURATION']} WARMUP={knobs['WARMUP']} LOGIN_DURATION={knobs['LOGIN_DURATION']} "
            f"ROUNDS={knobs['ROUNDS']} (figures are medians of the rounds); one process per server unless stated; "
            f"our app: APP_ENV=production, BCRYPT_ROUNDS={knobs['BCRYPT_ROUNDS']}, PostgreSQL on loopback.",
            "",
            f"## Targets (issue 12 for the database path, issue 6 for the rest): {met} of {len(targets)} met",
            "",
            *self.warnings(),
            "| target | goal | measured | |",
            "|---|---|---|---|",
            *[f"| {t['target']} | {t['goal']} | {t['measured']} | {t['status']} |" for t in targets],
            "",
            "## Pages and /api/me",
            "",
            "errors = responses that were not the expected 200 page (status or content checked on every "
            "response by bench/lua/check.lua) plus socket errors and timeouts. ÷ columns compare with the "
            "peer and with the bare Tornado hello world at the same connection count, in this run. CPU in % "
            "of one core (2 cores = 200 %): the server's processes, its PostgreSQL server, and the rest of "
            "the machine (everything but those and wrk: other work on a shared machine shows up there).",
            "",
            *self.pages_table(),
            "",
            "## Login, login storm, workers",
            "",
            f"Logins: valid credentials, {knobs['LOGIN_CONNECTIONS']} connections. Storm: GET /api/me at "
            f"{knobs['STORM_CONNECTIONS']} connection(s) alone (quiet), then while logins run in parallel.",
            "",
            *self.other_table(),
            "",
            "## Memory",
            "",
            *self.memory_table(),
        ]
        if self.data.get("notes"):
            out += ["", "## Notes", "", *[f"- {n}" for n in self.data["notes"]]]
        out += ["", "## Commands", "", "```", *sorted({r["command"] for r in self.runs.values()}), "```", ""]
        return "\n".join(out)


def write(folder: Path) -> None:
    data = json.loads((folder / "results.json").read_text())
    figures = Figures(data)
    targets = figures.targets()
    (folder / "summary.md").write_text(figures.markdown(targets))
    summary = {
        "meta": data["meta"],
        "targets": targets,
        "runs": [{"target": k[0], "case": k[1], "connections": k[2], **v} for k, v in figures.runs.items()],
        "memory": figures.memory,
        "bcrypt_ceiling_per_second": figures.ceiling,
        "notes": data.get("notes", []),
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    write(Path(sys.argv[1]))
    print((Path(sys.argv[1]) / "summary.md").read_text())
