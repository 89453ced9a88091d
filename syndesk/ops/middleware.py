"""Per-request timing and correlation: a request id (the proxy's X-Request-ID when it is a
plausible id, otherwise a new one) on every log record and in the response, the server time
and CPU time in a Server-Timing header (read by bench/load_run.py), and with LOG_REQUESTS
one log line per request."""

import logging
import re
import time
import uuid

from django.conf import settings

from .logs import request_id_var

logger = logging.getLogger("syndesk.request")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started, cpu_started = time.perf_counter(), time.thread_time()
        try:
            response = self.get_response(request)
            duration_ms = (time.perf_counter() - started) * 1000
            cpu_ms = (time.thread_time() - cpu_started) * 1000
            response["X-Request-ID"] = request_id
            # app: wall-clock time in Django; cpu: this thread's CPU time (what the request
            # costs, whatever else the machine is doing).
            response["Server-Timing"] = f"app;dur={duration_ms:.1f}, cpu;dur={cpu_ms:.1f}"
            if settings.LOG_REQUESTS:
                user = getattr(request, "user", None)
                logger.info(
                    "%s %s %s %.1fms",
                    request.method,
                    request.path,
                    response.status_code,
                    duration_ms,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round(duration_ms, 1),
                        "user_id": user.pk if user is not None and user.is_authenticated else None,
                    },
                )
            return response
        finally:
            request_id_var.reset(token)
