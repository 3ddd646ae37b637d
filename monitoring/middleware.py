"""Counts and times every request by endpoint group (monitoring.metrics)."""

import time

from .metrics import endpoint_group, observe


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        group = endpoint_group(request.path)
        if group is None:
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        observe(group, request.method, response.status_code, time.perf_counter() - started)
        return response
