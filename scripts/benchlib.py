"""What every benchmark script records: the machine, and its section of
docs/benchmarks.md (replaced on each run, other sections kept)."""

import math
import os
import platform
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmarks.md"


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (NaN for no values)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] if ordered else math.nan


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    meminfo = Path("/proc/meminfo").read_text()
    total_kb = int(re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.M).group(1))
    return {
        # Other work on the machine shows in the timings; the load says how much.
        "load": ", ".join(f"{value:.2f}" for value in os.getloadavg()),
        "nproc": os.cpu_count(),
        "cpu": model.group(1).strip() if model else platform.processor() or "未知",
        "ram": f"{total_kb / 1024 / 1024:.1f} GiB",
    }


def machine_line(host: dict) -> str:
    return (
        f"- 机器：{host['nproc']} 核（nproc），{host['cpu']}，内存 {host['ram']}；"
        f"计时结束时系统负载（1/5/15 分钟）{host['load']}"
    )


def section_write(*, title: str, lines: list[str]) -> str:
    """Replace the section `## title` of docs/benchmarks.md with `lines`."""
    section = "\n".join([f"## {title}", "", *lines])
    text = RESULTS.read_text() if RESULTS.exists() else "# 性能基准\n\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _match: section.rstrip("\n") + "\n\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text.rstrip("\n") + "\n")
    return section


def database_create_if_missing(url: str) -> dict:
    """Create the database when missing; refuse a name without "bench" or a
    server that is not on this machine. Returns the parsed settings."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    name = config["NAME"]
    if "bench" not in name:
        sys.exit(f"数据库“{name}”的名称不含 bench：基准脚本会写入或清空数据，只在专用库上运行。")
    if config["HOST"] not in ("127.0.0.1", "localhost", "::1", ""):
        sys.exit(f"数据库主机“{config['HOST']}”不是本机：基准脚本只在 127.0.0.1 上运行。")
    with psycopg.connect(
        dbname="postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        autocommit=True,
    ) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"已创建数据库 {name}")
    return config
