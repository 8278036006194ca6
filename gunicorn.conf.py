"""gunicorn settings for the perfeval web process: `gunicorn -c gunicorn.conf.py`.

Values come from the environment like Django's (the systemd unit loads
/etc/perfeval/env). The frozen report is rendered by the task worker
(`manage.py db_worker`), but a draft report is still rendered on request here,
which is what the timeout allows for.
"""

import multiprocessing
import os

wsgi_app = "perfeval.wsgi:application"

# Loopback by default: only nginx talks to gunicorn, and Django trusts the
# X-Forwarded-Proto and X-Real-IP headers that nginx sets.
bind = os.environ.get("PERFEVAL_BIND", "127.0.0.1:8000")

# The usual 2 × cores + 1 sync workers, capped so a large machine does not
# exhaust the database's connections.
workers = int(os.environ.get("PERFEVAL_WEB_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 12)))

# A draft PDF takes about half a second with libharfbuzz-subset0 and about ten
# without it; Excel imports and bulk approvals stay well under a minute.
timeout = int(os.environ.get("PERFEVAL_WEB_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5

# WeasyPrint and openpyxl allocate a lot; recycling workers bounds their memory.
max_requests = 1000
max_requests_jitter = 100

# Both logs go to standard output/error and from there to journald. The access
# log names the client nginx reports, not nginx itself.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("PERFEVAL_GUNICORN_LOG_LEVEL", "info")
access_log_format = '%({x-real-ip}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
