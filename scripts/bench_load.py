"""Load test: gunicorn with 4 workers on PostgreSQL, 2,000 departments, 50
simulated finance officers opening and saving their filings.

Not a test: it prepares a dedicated database (scripts/bench_load_data.py),
starts gunicorn as production does (`gunicorn perfeval.wsgi -c
gunicorn.conf.py`, DEBUG off, WhiteNoise with collected static files,
persistent database connections) on a free port of 127.0.0.1, drives it with a
bounded asyncio loop of httpx clients and records the result in
docs/benchmarks.md.

    .venv/bin/python -m pip install ".[bench]"   # httpx, and py-spy for --py-spy
    .venv/bin/python scripts/bench_load.py [--seconds 60] [--officers 50] [--think 0 --think 5-15]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/perfeval_loadbench;
its name must contain "bench" and the server must be this machine. The first
run imports the 2,000 filings (about 3 minutes); later runs reuse them.

Each simulated officer logs in (CSRF token from the login page, a cookie jar of
their own) and then, until the time is up, opens one page of their filing
(部门基本情况, 年度资金, 附件2 自评表 or 附件1 基础数据表, at random), posts the
page's form back with one value changed exactly as the browser would (hidden
`version` and signed `rendered` included), and follows the redirect to the
saved page. Every officer has a filing of their own, so a 409 (stale version)
should not occur; it is counted apart from the errors. Each --think gives one
load phase of --seconds: the pause after each round, 0 for none (a saturation
test). /healthz (a trivial view: one SELECT 1) is sampled 4 times a second
during the load, and before it one officer alone requests the filing pages and
/healthz in turn (the landing page 概览 too), for the ratio of their medians
on an idle server, overall and page by page.

Bounded: at most --seconds (≤ 300) per phase and --max-requests requests in
all, only to 127.0.0.1, each with a 30 s timeout; gunicorn is stopped at the
end, also after an error or Ctrl-C.
"""

import argparse
import asyncio
import datetime
import logging
import math
import os
import platform
import random
import re
import runpy
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
import bench_load_data as data  # noqa: E402
from benchlib import (  # noqa: E402
    database_create_if_missing,
    machine,
    machine_line,
    percentile,
    section_write,
)

# With other --workers or --officers the run gets a section of its own.
SECTION = (
    "负载测试（gunicorn {workers} workers，PostgreSQL，2,000 个部门，{officers} 个并发填报人）"
)
HOST = "127.0.0.1"
# The pages an officer opens and saves, and the field they change on each.
PARTS = {
    "profile": "profile-goal_setting",
    "funds": "funds-initial_budget",
    "scores": "goal-goal_actual",
    "basic": "austerity-austerity_measures",
}
PART_LABELS = {
    "overview": "概览（填报首页）",
    "profile": "部门基本情况",
    "funds": "年度资金",
    "scores": "附件2 自评表",
    "basic": "附件1 基础数据表",
}
KINDS = {
    "open": "打开填报页 GET",
    "save": "保存 POST（302）",
    "reopen": "保存后打开 GET",
}
SAVED_MESSAGE = "已保存（草稿）"
TAG = re.compile(r"（负载测试第\d+次保存）$")
MAX_SECONDS = 300
MAX_OFFICERS = 200
MAX_REQUESTS = 200_000
REQUEST_TIMEOUT = 30
ERROR_PAUSE = 0.5  # seconds an officer waits after a failed request
LOGINS_AT_ONCE = 4
# The idle baseline also opens the filing's landing page (概览), which has no form.
BASELINE_PARTS = ["overview", *PARTS]
BASELINE_ROUNDS = 100
HEALTHZ_INTERVAL = 0.25
TARGET_P95_MS = 300
TARGET_RATIO = 3


@dataclass
class Sample:
    phase: str  # "login", "warmup", "baseline" or "load-N"
    kind: str  # "login", "open", "save", "reopen" or "healthz"
    part: str
    ms: float
    done: float  # time.perf_counter() when the response had been read
    status: int  # 0 when no response arrived
    problem: str = ""  # "" when as expected, "409", or what went wrong
    size: int = 0


@dataclass
class Recorder:
    samples: list = field(default_factory=list)
    phase: str = "login"


@dataclass
class Budget:
    """Requests left and the end of the phase: whichever runs out first."""

    remaining: int
    deadline: float = 0.0

    def take(self) -> bool:
        if self.remaining <= 0 or time.perf_counter() >= self.deadline:
            return False
        self.remaining -= 1
        return True


@dataclass
class Phase:
    """One load phase and what was measured around it."""

    name: str
    think: tuple[float, float]
    start: float = 0.0
    end: float = 0.0
    marks: dict = field(default_factory=dict)
    # Filled in by phase_lines().
    overall: dict = field(default_factory=dict)
    errors: int = 0
    stale: int = 0

    @property
    def label(self) -> str:
        low, high = self.think
        return "无思考时间" if high == 0 else f"思考 {low:g}–{high:g} s"


class Browser:
    """A cookie jar and one connection to the server, like a browser tab;
    records every request as a Sample of the recorder's current phase."""

    def __init__(self, base_url: str, recorder: Recorder, connections: int = 1):
        import httpx

        assert httpx.URL(base_url).host == HOST
        self.client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(REQUEST_TIMEOUT),
            limits=httpx.Limits(max_connections=connections),
        )
        self.recorder = recorder

    async def request(
        self, method, url, *, kind, part="", expect=200, data=None, text="", location=None
    ):
        """Returns the response, or None when it is not what the browser
        expects: the status, the redirect target (`url` itself unless
        `location`), the text on the page."""
        import httpx

        phase = self.recorder.phase
        started = time.perf_counter()
        try:
            response = await self.client.request(method, url, data=data)
        except httpx.HTTPError as error:
            done = time.perf_counter()
            self.recorder.samples.append(
                Sample(phase, kind, part, (done - started) * 1000, done, 0, type(error).__name__)
            )
            return None
        done = time.perf_counter()
        problem = ""
        if response.status_code == 409:
            problem = "409"
        elif response.status_code != expect:
            problem = f"HTTP {response.status_code}"
        elif expect == 302 and response.headers.get("location") != (location or url):
            problem = f"跳转到 {response.headers.get('location')}"
        elif text and text not in response.text:
            problem = f"页面上没有“{text}”"
        self.recorder.samples.append(
            Sample(
                phase,
                kind,
                part,
                (done - started) * 1000,
                done,
                response.status_code,
                problem,
                len(response.content),
            )
        )
        return None if problem else response

    async def close(self):
        await self.client.aclose()


@dataclass
class Officer:
    username: str
    password: str
    filing: int
    rng: random.Random
    browser: Browser = None
    saves: int = 0

    def url(self, part: str) -> str:
        return f"/filings/{self.filing}/{part}/"

    async def login(self, semaphore):
        async with semaphore:
            page = await self.browser.request("GET", "/accounts/login/", kind="login")
            token = re.search(
                r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text if page else ""
            )
            if token is None:
                raise RuntimeError(f"{self.username}：登录页没有 CSRF 令牌")
            credentials = {"username": self.username, "password": self.password}
            response = await self.browser.request(
                "POST",
                "/accounts/login/",
                kind="login",
                expect=302,
                location="/filings/",
                data={"csrfmiddlewaretoken": token.group(1), **credentials},
            )
            if response is None:
                raise RuntimeError(f"{self.username}：登录失败")

    async def work(self, budget: Budget, think: tuple[float, float]):
        """Open a page, save it with one change, open the saved page, think; repeat.
        With thinking, the officers start at random moments within the longest
        pause, not all in the same instant."""
        if think[1] > 0:
            await asyncio.sleep(self.rng.uniform(0, think[1]))
        while budget.take():
            part = self.rng.choice(list(PARTS))
            url = self.url(part)
            page = await self.browser.request("GET", url, kind="open", part=part)
            if page is None:
                await asyncio.sleep(ERROR_PAUSE)
                continue
            if not budget.take():
                break
            form = page_form(page.text)
            name = PARTS[part]
            form.set(**{name: value_changed(part, form.data[name], self.saves)})
            saved = await self.browser.request(
                "POST", url, kind="save", part=part, expect=302, data=form.data
            )
            if saved is None:
                await asyncio.sleep(ERROR_PAUSE)
                continue
            self.saves += 1
            if not budget.take():
                break
            await self.browser.request("GET", url, kind="reopen", part=part, text=SAVED_MESSAGE)
            if think[1] > 0:
                pause = self.rng.uniform(*think)
                await asyncio.sleep(min(pause, max(0.0, budget.deadline - time.perf_counter())))


def page_form(html: str):
    # The page parser of the view tests: it posts back exactly the fields the
    # page rendered (management forms, pre-filled rows), as a browser does.
    from tests.evaluations.pages import PageForm

    return PageForm(html)


def value_changed(part: str, value: str, saves: int) -> str:
    """What the officer types: a marked sentence at the end of a text, or one
    cent up (and on the next save down again) on an amount."""
    if part == "funds":
        try:
            amount = Decimal(value or "0")
        except InvalidOperation:
            amount = Decimal("0")
        return str(amount + (Decimal("0.01") if saves % 2 == 0 else Decimal("-0.01")))
    return TAG.sub("", value) + f"（负载测试第{saves + 1}次保存）"


async def healthz_sample(browser: Browser, budget: Budget):
    """/healthz every HEALTHZ_INTERVAL seconds whether or not the previous one
    has answered (at most 20 at a time)."""
    pending = set()
    while budget.take():
        pending.add(asyncio.create_task(browser.request("GET", "/healthz", kind="healthz")))
        await asyncio.sleep(HEALTHZ_INTERVAL)
        pending = {task for task in pending if not task.done()}
        while len(pending) >= 20:
            _done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    if pending:
        await asyncio.wait(pending)


async def drive(*, port, officers, phases, seconds, max_requests, on_phase) -> list[Sample]:
    """Log in, warm up, the idle baseline, then each load phase."""
    base_url = f"http://{HOST}:{port}"
    recorder = Recorder()
    anonymous = Browser(base_url, recorder, connections=20)
    for officer in officers:
        officer.browser = Browser(base_url, recorder)
    try:
        # Paced: each login runs the password hasher (~0.3 s of CPU by design).
        semaphore = asyncio.Semaphore(LOGINS_AT_ONCE)
        await asyncio.gather(*(officer.login(semaphore) for officer in officers))
        # Not counted: every worker loads and compiles the templates once.
        recorder.phase = "warmup"
        await asyncio.gather(
            *(
                officer.browser.request("GET", officer.url(part), kind="open", part=part)
                for officer in officers
                for part in PARTS
            )
        )
        # Idle baseline: one officer alone, a filing page and /healthz in turn.
        recorder.phase = "baseline"
        on_phase("baseline", "start")
        first = officers[0]
        for round_ in range(BASELINE_ROUNDS):
            part = BASELINE_PARTS[round_ % len(BASELINE_PARTS)]
            await anonymous.request("GET", "/healthz", kind="healthz")
            await first.browser.request("GET", first.url(part), kind="open", part=part)
        on_phase("baseline", "end")
        budget = Budget(remaining=max_requests)
        for phase in phases:
            recorder.phase = phase.name
            on_phase(phase.name, "start")
            phase.start = time.perf_counter()
            budget.deadline = phase.start + seconds
            await asyncio.gather(
                healthz_sample(anonymous, budget),
                *(officer.work(budget, phase.think) for officer in officers),
            )
            phase.end = time.perf_counter()
            on_phase(phase.name, "end")
        return recorder.samples
    finally:
        await anonymous.close()
        for officer in officers:
            await officer.browser.close()


# --- The server --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_env(*, port: int, workers: int, static_root: Path) -> dict:
    env = dict(os.environ)
    for name in (
        "DJANGO_LOG_LEVEL",
        "PERFEVAL_GUNICORN_LOG_LEVEL",
        "PERFEVAL_TASKS_IMMEDIATE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    ):
        env.pop(name, None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "perfeval.settings",
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench",
            "ALLOWED_HOSTS": HOST,
            "DJANGO_CONN_MAX_AGE": "60",
            "PERFEVAL_BIND": f"{HOST}:{port}",
            "PERFEVAL_WEB_WORKERS": str(workers),
            "PERFEVAL_MANIFEST_STATIC": "1",
            "DJANGO_STATIC_ROOT": str(static_root),
            # Plain HTTP on the loopback: nginx terminates HTTPS in production,
            # here the cookies must do without the Secure flag.
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SESSION_COOKIE_SECURE": "0",
            "DJANGO_CSRF_COOKIE_SECURE": "0",
        }
    )
    return env


def static_collect(env: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def server_start(env: dict, log_path: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    # The production access log line plus the time in microseconds: %(M)s
    # (milliseconds) cannot tell /healthz's 0.5 ms from 1.4 ms.
    access_format = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["access_log_format"]
    with log_path.open("wb") as log:
        # Its own session, so that stopping it stops its workers too.
        return subprocess.Popen(
            [
                str(gunicorn),
                "perfeval.wsgi",
                "-c",
                "gunicorn.conf.py",
                "--access-logformat",
                access_format + " %(D)sus",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def server_wait(process: subprocess.Popen, port: int, log_path: Path) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn 已退出（{process.returncode}）：\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    sys.exit(f"gunicorn 60 秒内没有就绪：\n{log_path.read_text()[-3000:]}")


def server_stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- CPU accounting ----------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _processes():
    """(pid, fields after "pid (comm)", cmdline) of every process we may read."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        # fields[0] is the state (field 3 of proc(5)), fields[1] the parent.
        yield int(entry.name), stat[stat.rindex(")") + 2 :].split(), cmdline


def cpu_snapshot(master: int, database: str) -> dict:
    """CPU seconds used so far: by gunicorn (master, live workers, and the
    workers it has reaped after max_requests), by this load generator, by the
    PostgreSQL connections to the bench database (per live backend), and by
    the whole machine (busy, total)."""
    server = 0
    backends = {}
    marker = f" {database} ".encode()
    for pid, fields, cmdline in _processes():
        if pid == master:
            server += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        elif int(fields[1]) == master:
            server += int(fields[11]) + int(fields[12])
        elif cmdline.startswith(b"postgres: ") and marker in cmdline:
            backends[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    total = sum(values[:8])
    idle = values[3] + values[4]
    return {
        "server": server / TICKS,
        "client": time.process_time(),
        "backends": backends,
        "busy": (total - idle) / TICKS,
        "total": total / TICKS,
    }


def cpu_used(before: dict, after: dict) -> dict:
    # A backend that ended during the phase is missed (rare: connections
    # live for 60 s, workers are recycled only after ~1,000 requests).
    database = sum(
        seconds - before["backends"].get(pid, 0.0) for pid, seconds in after["backends"].items()
    )
    used = {name: after[name] - before[name] for name in ("server", "client", "busy", "total")}
    used["database"] = database
    return used


# --- Results -----------------------------------------------------------------------


def stats_row(samples: list[Sample], phase: Phase, seconds: float) -> dict:
    """Latency of every request of the phase; the rate counts only those
    answered before its deadline (the ones still running then finish later)."""
    times = [sample.ms for sample in samples]
    in_time = sum(1 for sample in samples if sample.done <= phase.start + seconds)
    return {
        "count": len(samples),
        "rps": in_time / seconds,
        "p50": percentile(times, 0.50),
        "p95": percentile(times, 0.95),
        "p99": percentile(times, 0.99),
        "max": max(times, default=math.nan),
        "errors": sum(1 for sample in samples if sample.problem and sample.problem != "409"),
        "stale": sum(1 for sample in samples if sample.problem == "409"),
    }


ACCESS_LINE = re.compile(r'"(GET|POST) (\S+) HTTP/[\d.]+" (\d{3}) .* (\d+)us$')
FILING_PAGE = re.compile(r"/filings/\d+/[a-z]+/")


def access_log_times(log: bytes) -> dict[str, list[float]]:
    """Milliseconds each request spent in a worker, by kind: what the server
    did, without the wait for a free worker and without the client."""
    times = {"open": [], "save": [], "healthz": []}
    for line in log.decode(errors="replace").splitlines():
        match = ACCESS_LINE.search(line)
        if not match:
            continue
        method, path, _status, microseconds = match.groups()
        if path == "/healthz":
            times["healthz"].append(int(microseconds) / 1000)
        elif FILING_PAGE.fullmatch(path):
            times["save" if method == "POST" else "open"].append(int(microseconds) / 1000)
    return times


def ms(value: float) -> str:
    if math.isnan(value):
        return "—"
    return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def phase_lines(phase: Phase, samples: list[Sample], log: bytes, arguments) -> list[str]:
    seconds = arguments.seconds
    load = [sample for sample in samples if sample.phase == phase.name]
    rows = {
        label: stats_row([s for s in load if s.kind == kind], phase, seconds)
        for kind, label in KINDS.items()
    }
    phase.overall = rows["合计（填报人的全部请求）"] = stats_row(
        [s for s in load if s.kind in KINDS], phase, seconds
    )
    rows["/healthz（每 0.25 s 一次）"] = stats_row(
        [s for s in load if s.kind == "healthz"], phase, seconds
    )
    problems = {}
    for sample in load:
        if sample.problem:
            problems[sample.problem] = problems.get(sample.problem, 0) + 1
    phase.errors = sum(count for problem, count in problems.items() if problem != "409")
    phase.stale = problems.get("409", 0)
    think = (
        "没有思考时间（饱和测试：一轮完了马上开始下一轮）"
        if phase.think[1] == 0
        else f"每轮之后随机思考 {phase.think[0]:g}–{phase.think[1]:g} s（起步时间在 0–"
        f"{phase.think[1]:g} s 内随机错开）"
    )
    lines = [
        f"### {arguments.officers} 个填报人，{think}",
        "",
        f"{seconds:g} s 内发出的请求（到点时还在进行的请求算到完成，共 "
        f"{phase.end - phase.start:.1f} s；每秒只计 {seconds:g} s 内完成的）：",
        "",
        "| 请求 | 次数 | 每秒 | p50 | p95 | p99 | 最慢 | 错误 | 409 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, row in rows.items():
        lines.append(
            f"| {label} | {row['count']} | {row['rps']:.1f} | {ms(row['p50'])} | "
            f"{ms(row['p95'])} | {ms(row['p99'])} | {ms(row['max'])} | {row['errors']} | "
            f"{row['stale']} |"
        )
    lines += ["", "| 页面（打开 GET） | 次数 | p50 | p95 | 页面大小 |", "|---|---:|---:|---:|---:|"]
    for part, label in PART_LABELS.items():
        opened = [s for s in load if s.kind == "open" and s.part == part and not s.problem]
        if opened:
            times = [s.ms for s in opened]
            lines.append(
                f"| {label} | {len(opened)} | {ms(percentile(times, 0.5))} | "
                f"{ms(percentile(times, 0.95))} | "
                f"{statistics.mean(s.size for s in opened) / 1024:.0f} KB |"
            )
    server = access_log_times(log[phase.marks["log"] : phase.marks["log_end"]])
    used = phase.marks["cpu"]
    busy, total = used["busy"], used["total"]
    other = max(0.0, busy - used["server"] - used["client"] - used["database"])
    marks = phase.marks
    lines += [
        "",
        "- 在 worker 里的时间（访问日志的 %(D)s，不含排队和客户端）："
        + "，".join(
            f"{label} p50 {ms(percentile(server[kind], 0.5))}、p95 "
            f"{ms(percentile(server[kind], 0.95))}"
            for kind, label in (
                ("open", "填报页 GET"),
                ("save", "保存 POST"),
                ("healthz", "/healthz"),
            )
        ),
        f"- CPU（2 核共 {total:.0f} CPU·s）：整机忙 {busy / total:.0%}——gunicorn "
        f"{used['server'] / total:.0%}，PostgreSQL（本库的连接）{used['database'] / total:.0%}，"
        f"压测客户端 {used['client'] / total:.0%}，同机其他进程 {other / total:.0%}",
        f"- 核对：成功保存 {marks['saves_ok']} 次，填报的版本号共增加 {marks['version_delta']}"
        f"（{'一致' if marks['saves_ok'] == marks['version_delta'] else '不一致'}）；"
        f"worker 因 max_requests 重启 {marks['boots']} 次，超时 {marks['timeouts']} 次",
    ]
    if problems:
        lines.append(
            "- 出错的请求："
            + "，".join(f"{problem} × {count}" for problem, count in sorted(problems.items()))
        )
    return [*lines, ""]


def results(*, samples, phases, arguments, host_before, log) -> str:
    import django
    import gunicorn
    import httpx
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = f"PostgreSQL {cursor.fetchone()[0]}"
    baseline = [sample for sample in samples if sample.phase == "baseline"]
    base_healthz = statistics.median(s.ms for s in baseline if s.kind == "healthz")
    base_open = statistics.median(s.ms for s in baseline if s.kind == "open")
    ratio = base_open / base_healthz
    per_page = []
    for part in BASELINE_PARTS:
        times = [s.ms for s in baseline if s.kind == "open" and s.part == part]
        per_page.append(
            f"{PART_LABELS[part]} {ms(statistics.median(times))}"
            f"（{statistics.median(times) / base_healthz:.1f}×）"
        )
    marks = phases[0].marks
    base_server = access_log_times(log[marks["baseline_log"] : marks["baseline_log_end"]])
    server_open = statistics.median(base_server["open"])
    server_healthz = statistics.median(base_server["healthz"])
    logins = [sample.ms for sample in samples if sample.phase == "login"]
    now = datetime.datetime.now().astimezone()
    command = " ".join([".venv/bin/python scripts/bench_load.py", *arguments.flags])
    lines = [
        f"- 日期：{now:%Y-%m-%d %H:%M %z}",
        machine_line(machine()),
        f"- 开始前系统负载（1/5/15 分钟）：{host_before['load']}（同机有别人的测试和浏览器在跑时"
        "数字更差；各阶段的“同机其他进程”记下了它们占的 CPU）",
        f"- 软件：Python {platform.python_version()}，Django {django.get_version()}，"
        f"gunicorn {gunicorn.__version__}（sync worker），{postgres}，"
        f"客户端 httpx {httpx.__version__}",
        f"- 命令：`{command}`",
        f"- 数据：{len(data.JURISDICTIONS)} 个行政区划共 {data.DEPARTMENTS:,} 个部门，"
        f"每个部门一名填报人和一份 {data.YEAR} 年度草稿（两份示例自评改名后经 filing_import "
        "导入：附件1 全部行、指标、项目、报告文字齐全）",
        "- 服务端：`gunicorn perfeval.wsgi -c gunicorn.conf.py`，"
        f"{arguments.workers} 个 sync worker，DEBUG 关闭，WhiteNoise（collectstatic 后的压缩"
        "清单存储），DJANGO_CONN_MAX_AGE=60，访问日志写文件；只监听 127.0.0.1，前面没有 nginx，"
        "Cookie 不带 Secure",
        f"- 负载：{arguments.officers} 个模拟填报人（一个 asyncio 进程，每人一个 httpx 客户端和"
        "自己的 Cookie），登录后循环：随机打开自己填报的一页（部门基本情况、年度资金、附件2 "
        "自评表、附件1 基础数据表）→ 解析表单，改一个值（文字末尾加一句，或金额 ±0.01），"
        "连同 version 与签名的 rendered 原样提交 → 跟随 302 打开保存后的页面；每个阶段 "
        f"{arguments.seconds:g} s，同时每 0.25 s 请求一次 /healthz",
        "- 计时：客户端从发出请求到读完响应，含在 gunicorn 的队列里等空闲 worker 的时间；"
        "p50/p95/p99 为最近秩；登录、预热和空载基线不计入各阶段",
        f"- 登录（不计入）：{len(logins) // 2} 人，每人 GET 登录页 + POST，p50 "
        f"{ms(percentile(logins, 0.5))}，最慢 {ms(max(logins))}（密码哈希本来就慢）",
        f"- 空载基线（负载之前，同一服务器、同一次运行，一个填报人交替请求各 {BASELINE_ROUNDS} "
        f"次）：填报页 GET 中位数 {ms(base_open)}，/healthz 中位数 {ms(base_healthz)}，"
        f"**比值 {ratio:.1f}×**；只算在 worker 里的时间是 {ms(server_open)} / "
        f"{ms(server_healthz)} = {server_open / server_healthz:.0f}×",
        f"- 空载基线逐页（各 {BASELINE_ROUNDS // len(BASELINE_PARTS)} 次的中位数，括号里是"
        "与 /healthz 之比）：" + "，".join(per_page),
        f"- 服务端日志：Traceback {log.count(b'Traceback')} 个",
        "",
    ]
    for phase in phases:
        lines += phase_lines(phase, samples, log, arguments)
    verdicts = [
        "零错误——"
        + "，".join(
            f"{phase.label}：{'达到' if phase.errors == 0 and phase.stale == 0 else '未达到'}"
            f"（错误 {phase.errors}、409 {phase.stale}）"
            for phase in phases
        ),
        f"p95 < {TARGET_P95_MS} ms——"
        + "，".join(
            f"{phase.label}：{'达到' if phase.overall['p95'] < TARGET_P95_MS else '未达到'}"
            f"（{ms(phase.overall['p95'])}）"
            for phase in phases
        ),
        f"填报页中位数 < {TARGET_RATIO}× 简单视图——{'达到' if ratio < TARGET_RATIO else '未达到'}"
        f"（空载 {ratio:.1f}×）",
    ]
    lines += [
        "目标（2 核机器）：" + "；".join(verdicts) + "。",
        "",
        "这台机器只有 2 个核：压测客户端（它要解析每个页面的表单）、gunicorn 的 4 个 worker 和 "
        "PostgreSQL 共用它们，吞吐量和延迟都比服务器独占 2 个核时差。没有思考时间时这是一个封闭"
        "循环的饱和测试：请求一直排着队，延迟约等于并发数 ÷ 吞吐量，p95 主要是排队的时间。",
        "",
    ]
    title = SECTION.format(workers=arguments.workers, officers=arguments.officers)
    if arguments.no_record:
        return "\n".join([f"## {title}", "", *lines])
    return section_write(title=title, lines=lines)


# --- Main --------------------------------------------------------------------------


def think_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    try:
        low, high = float(low), float(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError("思考时间写作 0 或 5-15（秒）") from None
    if not 0 <= low <= high <= 60:
        raise argparse.ArgumentTypeError("思考时间须在 0 到 60 秒之间")
    return low, high


def arguments_parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=60, help=f"每个阶段的时长（≤ {MAX_SECONDS}）"
    )
    parser.add_argument("--officers", type=int, default=50, help=f"并发填报人（≤ {MAX_OFFICERS}）")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker 数（1–12）")
    parser.add_argument(
        "--max-requests", type=int, default=100_000, help=f"负载请求总数上限（≤ {MAX_REQUESTS}）"
    )
    parser.add_argument(
        "--think",
        type=think_range,
        action="append",
        help="一个负载阶段：每轮之后的思考时间（秒），0 或如 5-15；可给多次，默认 0",
    )
    parser.add_argument("--fresh", action="store_true", help="清空数据库后重新生成数据")
    parser.add_argument("--no-record", action="store_true", help="不写 docs/benchmarks.md")
    parser.add_argument(
        "--py-spy",
        metavar="PATH",
        help="第一个负载阶段用 py-spy 采样全部 worker，写到 PATH（.svg 火焰图，.txt 折叠栈）",
    )
    arguments = parser.parse_args()
    if not 0 < arguments.seconds <= MAX_SECONDS:
        parser.error(f"--seconds 须在 0 到 {MAX_SECONDS} 之间")
    if not 0 < arguments.officers <= MAX_OFFICERS:
        parser.error(f"--officers 须在 1 到 {MAX_OFFICERS} 之间")
    if not 0 < arguments.max_requests <= MAX_REQUESTS:
        parser.error(f"--max-requests 须在 1 到 {MAX_REQUESTS} 之间")
    if not 1 <= arguments.workers <= 12:
        parser.error("--workers 须在 1 到 12 之间")
    arguments.think = arguments.think or [(0.0, 0.0)]
    if len(arguments.think) > 4:
        parser.error("--think 最多 4 个阶段")
    if arguments.py_spy and not (Path(sys.executable).parent / "py-spy").exists():
        parser.error("--py-spy 需要 py-spy：.venv/bin/pip install py-spy")
    arguments.flags = [arg for arg in sys.argv[1:] if arg not in ("--no-record", "--fresh")]
    return arguments


def py_spy_start(arguments, master: int):
    output = Path(arguments.py_spy)
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(master),
            "--subprocesses",
            "--nonblocking",
            "--duration",
            str(math.ceil(arguments.seconds)),
            "--format",
            "raw" if output.suffix == ".txt" else "flamegraph",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    arguments = arguments_parse()
    database = database_create_if_missing(data.database_url())["NAME"]
    data.django_setup()
    # Django's root logger prints at INFO; httpx would log every request.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.db import connection

    data.data_ensure(fresh=arguments.fresh)
    officers = [
        Officer(**picked, rng=random.Random(index))
        for index, picked in enumerate(data.officers_pick(arguments.officers))
    ]
    filings = [officer.filing for officer in officers]
    connection.close()

    workdir = Path(tempfile.mkdtemp(prefix="perfeval-loadbench-"))
    log_path = workdir / "gunicorn.log"
    static_root = Path(tempfile.gettempdir()) / "perfeval-loadbench-static"
    port = free_port()
    env = server_env(port=port, workers=arguments.workers, static_root=static_root)
    # The versions are read between phases, from inside the event loop: a short
    # blocking query on purpose, while no request is running.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    started = time.perf_counter()
    static_collect(env)
    print(f"collectstatic：{time.perf_counter() - started:.1f} s → {static_root}")
    phases = [
        Phase(name=f"load-{index}", think=think) for index, think in enumerate(arguments.think)
    ]
    profiler = None
    current = {}

    def on_phase(name: str, event: str) -> None:
        nonlocal profiler
        size = log_path.stat().st_size
        if name == "baseline":
            phases[0].marks[f"baseline_log{'' if event == 'start' else '_end'}"] = size
            return
        phase = next(phase for phase in phases if phase.name == name)
        if event == "start":
            print(f"{name}：{phase.label}，{arguments.seconds:g} s …", flush=True)
            current["versions"] = data.filing_versions(filings)
            current["boots"] = log_path.read_bytes().count(b"Booting worker")
            current["timeouts"] = log_path.read_bytes().count(b"WORKER TIMEOUT")
            connection.close()
            phase.marks["log"] = size
            current["cpu"] = cpu_snapshot(process.pid, database)
            if arguments.py_spy and phase is phases[0]:
                profiler = py_spy_start(arguments, process.pid)
            return
        phase.marks["cpu"] = cpu_used(current["cpu"], cpu_snapshot(process.pid, database))
        phase.marks["log_end"] = size
        after = data.filing_versions(filings)
        connection.close()
        phase.marks["version_delta"] = sum(after[pk] - current["versions"][pk] for pk in after)
        raw = log_path.read_bytes()
        phase.marks["boots"] = raw.count(b"Booting worker") - current["boots"]
        phase.marks["timeouts"] = raw.count(b"WORKER TIMEOUT") - current["timeouts"]

    host_before = machine()
    process = server_start(env, log_path)
    try:
        print(f"gunicorn pid {process.pid}，http://{HOST}:{port}/，日志 {log_path}", flush=True)
        server_wait(process, port, log_path)
        samples = asyncio.run(
            drive(
                port=port,
                officers=officers,
                phases=phases,
                seconds=arguments.seconds,
                max_requests=arguments.max_requests,
                on_phase=on_phase,
            )
        )
    finally:
        if profiler is not None:
            try:
                profiler.wait(timeout=10)
            except subprocess.TimeoutExpired:
                profiler.send_signal(signal.SIGINT)  # py-spy then writes what it has
                profiler.wait(timeout=30)
        server_stop(process)
    for phase in phases:
        phase.marks["saves_ok"] = sum(
            1 for s in samples if s.phase == phase.name and s.kind == "save" and not s.problem
        )
    log = log_path.read_bytes()
    section = results(
        samples=samples,
        phases=phases,
        arguments=arguments,
        host_before=host_before,
        log=log,
    )
    # The server log is kept only when something went wrong (its path was printed).
    if log.count(b"Traceback") == 0 and all(phase.errors == 0 for phase in phases):
        shutil.rmtree(workdir)
    print(section)
    print(
        "（--no-record：未写入 docs/benchmarks.md）"
        if arguments.no_record
        else "已写入 docs/benchmarks.md"
    )
    if arguments.py_spy:
        print(f"py-spy：{arguments.py_spy}")


if __name__ == "__main__":
    main()
