"""Gunicorn settings for Casework (read automatically from the working directory, or with -c).

Threaded workers (gthread), not the default sync ones: a sync worker serves one connection at a time, so a few
dozen idle keep-alive or slowly-sending clients stalled the whole site, and its `timeout` killed any upload
that took longer to arrive. A gthread worker parks idle connections in its poller, serves `threads` requests at
once, and keeps telling the arbiter it is alive while a slow upload arrives. In docker-compose.yml nginx sits in
front and buffers each request (headers and body) before it reaches gunicorn, so a slow client costs gunicorn
nothing at all; see deploy/nginx.conf.
"""

import os

wsgi_app = "casework.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# A new connection holds a thread for up to 5 s while gunicorn waits for its first bytes, then waits in the
# poller; 24 threads absorb a burst of idle connections. Each busy thread may hold a database connection: keep
# workers x threads under PostgreSQL's max_connections (100 by default).
threads = int(os.environ.get("GUNICORN_THREADS", "24"))
# How long a worker may go without reporting alive before it is killed and replaced. With gthread a request in
# progress (an upload arriving, a page being rendered) does not stop the reports, so this is not a request limit.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Idle keep-alive connections are closed after this many seconds.
keepalive = 5
# Restart each worker now and then, so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
