"""Shows the event outbox per handler: pending, failed and delivered counts and how long the oldest
pending event has waited; `--failed` lists the failed deliveries with their last error."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from qms.events import selectors


def _age(delta: timedelta | None) -> str:
    if delta is None:
        return "-"
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


class Command(BaseCommand):
    help = "Outbox state per event handler (pending, failed, delivered, lag); --failed lists failed deliveries."

    def add_arguments(self, parser):
        parser.add_argument("--failed", action="store_true", help="List the failed deliveries with their last error.")
        parser.add_argument("--handler", help="Only this handler (with --failed).")

    def handle(self, *args, failed: bool, handler: str | None, **options):
        states = selectors.handler_states()
        self.stdout.write(f"Outbox lag: {_age(selectors.outbox_lag())} (oldest event still waiting for a handler)")
        self.stdout.write(f"{'handler':<40} {'pending':>8} {'failed':>8} {'delivered':>10} {'oldest pending':>15}")
        for state in states:
            name = state.handler if state.pattern is not None else f"{state.handler} (not registered)"
            self.stdout.write(f"{name:<40} {state.pending:>8} {state.failed:>8} {state.succeeded:>10} {_age(state.lag()):>15}")
        if failed:
            for delivery in selectors.failed_deliveries(handler=handler):
                event = delivery.event
                error = (delivery.last_error.strip().splitlines() or [""])[-1]
                self.stdout.write(
                    f"event {event.pk} {event.name} {event.resource_type} {event.resource_id or ''} → {delivery.handler}: "
                    f"{delivery.attempts} attempt(s), last {delivery.last_attempt_at:%Y-%m-%d %H:%M:%S}Z: {error}"
                )
