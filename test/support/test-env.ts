// Runs before every test file: the logs of handlers built without a composition root stay quiet
// unless a test turns them on (Powertools reads its level when the logger is made). Metrics are
// published only by a composition root configured with them on (functions/observability/metrics.ts).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
