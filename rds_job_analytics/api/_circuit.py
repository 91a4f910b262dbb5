"""The client's circuit: a run of connection failures (refused, DNS, TLS) across all
workers takes the endpoint as down for a while, so a dead endpoint fails fast instead of
being retried for every job. :class:`~rds_job_analytics.JobsClient` is one.
"""

from __future__ import annotations

import logging
import threading
import time

from ..exceptions import TransportError

__all__ = ["CircuitBreaker"]

log = logging.getLogger("rds_job_analytics")

_monotonic = time.monotonic  # the circuit's clock (tests replace it)


class CircuitBreaker:
    """The circuit state of a client: what :class:`~rds_job_analytics.JobsClient` sets
    up in its constructor (``circuit_threshold``, ``circuit_cooldown``, the counts and
    the lock) and uses for every attempt.

    Examples
    --------
    >>> from rds_job_analytics import JobsClient, TokenAuth
    >>> isinstance(JobsClient("p" * 32, region="ap-southeast-1", auth=TokenAuth("t")),
    ...            CircuitBreaker)
    True
    """

    circuit_threshold: int | None
    circuit_cooldown: float
    connect_failures: int
    _failure_run: int
    _circuit: tuple[str, float] | None
    _calls_lock: threading.Lock

    @property
    def circuit_reason(self) -> str | None:
        """Why requests currently fail at once (the endpoint looks down), or None.

        Examples
        --------
        >>> from rds_job_analytics import JobsClient, TokenAuth
        >>> JobsClient("p" * 32, region="ap-southeast-1", auth=TokenAuth("t")).circuit_reason
        """
        with self._calls_lock:
            return self._circuit_state()

    def _circuit_state(self) -> str | None:  # under _calls_lock
        if self._circuit is None:
            return None
        reason, opened = self._circuit
        if _monotonic() - opened < self.circuit_cooldown:
            return reason
        # Cooled down: let requests try again; one more connection failure reopens it.
        self._circuit = None
        self._failure_run = max(0, (self.circuit_threshold or 1) - 1)
        return None

    def reset_circuit(self) -> None:
        """Close the circuit now (the endpoint is back) and forget the failure run.

        Examples
        --------
        >>> from rds_job_analytics import JobsClient, TokenAuth
        >>> c = JobsClient("p" * 32, region="ap-southeast-1", auth=TokenAuth("t"))
        >>> c.reset_circuit(); c.circuit_reason is None
        True
        """
        with self._calls_lock:
            self._circuit = None
            self._failure_run = 0

    def _circuit_error(self, reason: str, job_id: str | None) -> TransportError:
        return TransportError(
            f"{reason} (endpoint taken as down after {self.circuit_threshold} connection "
            "failures in a row)",
            job_id=job_id,
            reason=reason,
        )

    def _raise_if_open(self, job_id: str | None) -> None:
        with self._calls_lock:
            reason = self._circuit_state()
        if reason is not None:
            raise self._circuit_error(reason, job_id)

    def _connect_failed(self, reason: str) -> bool:
        """Count an attempt that never reached the server; True when the circuit is open."""
        with self._calls_lock:
            self.connect_failures += 1
            self._failure_run += 1
            threshold = self.circuit_threshold
            if self._circuit is None and threshold and self._failure_run >= threshold:
                self._circuit = (reason, _monotonic())
                log.info(
                    "%s: %d connection failures in a row, endpoint taken as down for %g s",
                    reason, self._failure_run, self.circuit_cooldown,
                )  # fmt: skip
            return self._circuit is not None

    def _reached(self) -> None:
        """The server answered: the run of connection failures is over."""
        with self._calls_lock:
            self._failure_run = 0
            self._circuit = None
