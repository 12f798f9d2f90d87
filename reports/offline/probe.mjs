// Exit 0 when DuckDB's extension repository answers (online), 1 when it does
// not within the time limit (offline: use the shim). Any HTTP answer counts.
const url = process.argv[2] ?? 'https://extensions.duckdb.org/';
const seconds = Number(process.argv[3] ?? 5);
try {
	await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(seconds * 1000) });
	process.exit(0);
} catch {
	process.exit(1);
}
