"""gunicorn settings for `make serve` and deploy/xinfang.service; gunicorn reads this file from the working directory.

Four processes of two threads each. Threads (gthread) rather than one request per process: a client that connects
and then sends slowly or nothing ties up one thread, not a whole worker, while the worker's main thread keeps
reporting to the arbiter. In production nginx stands in front (deploy/nginx-xinfang.conf) and hands gunicorn only
complete requests; these limits are the second line.

A worker takes no more connections than it has threads, and closes each after its answer (no keep-alive): otherwise
one process accepts most connections and keeps them (bench/load.py saw 16, 16, 0, 0), queueing requests behind its
own threads while other workers idle, and p99 reached 1 s. So the kernel's queue hands every request to whichever
worker is free. On two CPUs, bench/load.py measured p99 under 360 ms per route with 2 threads, 550–770 ms with 4
(Python threads of one process share a lock, so more threads add waiting, not speed).
"""
import gc
import os

bind = os.environ.get("BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_connections = threads  # accept only what a thread is free to answer; the rest wait in the kernel's queue

timeout = 60  # a worker whose main loop is silent this long is killed and replaced
graceful_timeout = 30  # on restart, requests under way get this long to finish
keepalive = 0  # close after each answer, so no connection stays bound to a busy worker (nginx reconnects cheaply)

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


def post_worker_init(worker):
    """Once the application is loaded: its objects (models, templates, translations, the calendar) live as long as
    the worker, so the garbage collector stops walking them. A full collection walked them all while every thread of
    the worker waited; bench/load.py on PostgreSQL: case list p99 557 → 345 ms, slowest request 818 → 493 ms."""
    gc.freeze()
