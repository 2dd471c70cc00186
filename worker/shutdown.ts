/**
 * How long a stopping worker drains. On SIGTERM it stops polling and lets the activities in flight
 * finish for up to the grace period, then cancels them (they are retried on another worker; the
 * outbox keeps every message single); past the force period it gives up and the process exits with
 * an error. Both stay below what orchestrators wait before killing: deploy/k8s gives 30 s
 * (terminationGracePeriodSeconds), docker-compose.yml as much (stop_grace_period).
 */
export const SHUTDOWN_GRACE_SECONDS = 20;
export const SHUTDOWN_FORCE_SECONDS = 25;
