"""gunicorn settings for `make serve` and deploy/xinfang.service; gunicorn reads this file from the working directory.

Four processes of four threads each. Threads (gthread) rather than one request per process: a client that connects
and then sends slowly or nothing ties up one thread, not a whole worker, while the worker's main thread keeps
reporting to the arbiter. In production nginx stands in front (deploy/nginx-xinfang.conf) and hands gunicorn only
complete requests; these limits are the second line.
"""
import os

bind = os.environ.get("BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

timeout = 60  # a worker whose main loop is silent this long is killed and replaced
graceful_timeout = 30  # on restart, requests under way get this long to finish
keepalive = 5  # seconds an idle keep-alive connection stays open

# Malformed or oversized request heads are answered 400 without reaching the application.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Replace each worker now and then, so a slow leak can never build up over months of uptime.
max_requests = 5000
max_requests_jitter = 500

control_socket_disable = True  # no run-time control socket: systemd's signals (deploy/xinfang.service) are enough

accesslog = "-"
errorlog = "-"
