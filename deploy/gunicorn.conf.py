"""gunicorn's settings for the portal (``gunicorn --config deploy/gunicorn.conf.py``).

The listening socket is not named here: systemd opens it (``sps-portal.socket``) and hands it to
gunicorn, so only nginx can connect, and a restart queues requests instead of refusing them. Run
by hand without systemd, gunicorn falls back to its default of 127.0.0.1:8000.
"""

import multiprocessing

wsgi_app = "wsgi:app"

# Sync workers: every request is short once slow work (PDFs) runs in the job worker, and nginx
# buffers whole requests and responses, so a slow client never holds a worker. The number is
# gunicorn's own rule of thumb; a host may set another with a drop-in for sps-portal.service
# (systemctl edit sps-portal) holding Environment="GUNICORN_CMD_ARGS=--workers N".
worker_class = "sync"
workers = multiprocessing.cpu_count() * 2 + 1

# A worker silent for this long is killed and replaced: gunicorn's default, ample now that no page
# draws a PDF while its reader waits (the portal gives up on an unanswering PostgreSQL after 5 s and
# on Redis after 1 s, portal/config.py, well inside it). nginx's proxy_read_timeout
# (deploy/nginx/sps-portal.conf) is at least this, so gunicorn, which logs which worker and why,
# is the one that gives up (tests/unit/test_deploy.py keeps the two in step).
timeout = 30
# On a reload or stop a worker finishes the request it has for this long.
graceful_timeout = 30

# Replace each worker after about a thousand requests, so a slow leak in any library can never
# grow without bound; the jitter keeps workers from restarting together.
max_requests = 1000
max_requests_jitter = 100

# The portal writes one structured line per request itself (without addresses, names or
# references); gunicorn's access log would repeat each with the client's address, so it stays off.
# gunicorn's own messages (worker started, timed out) go to standard error, that is, to journald.
accesslog = None
errorlog = "-"

# systemd controls the server (reload sends HUP, stop sends TERM): no second control channel.
control_socket_disable = True

# A journey's answers travel sealed in the browser's cookies until sent (portal/public/answers.py):
# its Cookie header can reach about 50 KB, past gunicorn's default of 8190 bytes a header. nginx
# accepts the same (large_client_header_buffers, tests/unit/test_deploy.py keeps the two in step).
limit_request_field_size = 65536
