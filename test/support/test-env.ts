// Runs before every test file: logs and metrics stay quiet unless a test turns them on (the log
// and metric tests set their own levels before the handlers load).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
