"""Background work: delivering the outbox (email, WhatsApp), the scheduled jobs, and the
messages page where managers see the queue and resend (docs/operations.md).

The task library is Huey (storefront/worker/queue.py). Production runs `flask worker` beside
the web processes; `make run` runs a worker thread inside the development server.
"""

import os
import threading

from flask import Blueprint, Flask

bp = Blueprint("worker", __name__, url_prefix="/manage/messages", cli_group=None)


def init_app(app: Flask) -> None:
    from storefront.worker import cli, views  # noqa: F401  (commands and routes)
    from storefront.worker.queue import ThreadConsumer, init_queue

    huey = init_queue(app)
    app.register_blueprint(bp)
    # `make run` (WORKER_EMBEDDED=1): the reloader's child process, the one serving, also runs
    # a consumer thread, so mail goes out and jobs run with no other service to start.
    if app.config["WORKER_EMBEDDED"] and os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        consumer = ThreadConsumer(huey, workers=1, worker_type="thread")
        threading.Thread(target=consumer.run, name="huey-consumer", daemon=True).start()
