// Parquet <-> DuckDB-Wasm through Arrow, for the offline shim (hooks.mjs):
// parquet-wasm (a dependency of @evidence-dev/universal-sql) reads and writes
// Parquet; DuckDB-Wasm takes Arrow IPC without any extension.
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// Resolve both from @evidence-dev/universal-sql, so the shim uses its copies.
const require = createRequire(require_base());
const parquet = require('parquet-wasm/node/arrow1.js');
const arrow = require('apache-arrow');

function require_base() {
	return new URL('../node_modules/@evidence-dev/universal-sql/package.json', import.meta.url);
}

/**
 * Replace `"schema"."table"` with the contents of a Parquet file.
 * @param {any} connection a DuckDB-Wasm (node, blocking) connection
 */
export function loadParquetAsTable(connection, schema, table, file) {
	const wasmTable = parquet.readParquet(new Uint8Array(readFileSync(file)));
	for (const kind of ['VIEW', 'TABLE']) {
		try {
			connection.query(`DROP ${kind} IF EXISTS "${schema}"."${table}";`);
		} catch {
			// the name is taken by the other kind of object: dropped in the other turn
		}
	}
	if (wasmTable.numBatches === 0) {
		// An empty source (no rows yet, e.g. no restatement): parquet-wasm cannot
		// stream a table without batches, so the empty table is made from the
		// column types Evidence wrote beside the file.
		wasmTable.free();
		connection.query(`CREATE TABLE "${schema}"."${table}" (${emptyTableColumns(file)});`);
		return;
	}
	connection.insertArrowFromIPCStream(wasmTable.intoIPCStream(), { schema, name: table, create: true });
}

// Evidence's column types as DuckDB types, as build-parquet.js writes them to Arrow.
const DUCKDB_TYPES = { boolean: 'BOOLEAN', number: 'DOUBLE', string: 'VARCHAR', date: 'TIMESTAMP' };

function emptyTableColumns(file) {
	const columns = JSON.parse(readFileSync(file.replace(/\.parquet$/, '.schema.json'), 'utf8'));
	return columns
		.map((column) => `"${column.name}" ${DUCKDB_TYPES[column.evidenceType] ?? 'VARCHAR'}`)
		.join(', ');
}

/**
 * Merge the Parquet batches that universal-sql wrote into one ZSTD Parquet file.
 * @param {string[]} inputs
 * @param {string} output
 */
export async function mergeParquetFiles(inputs, output) {
	if (inputs.length === 1) {
		await copyFile(inputs[0], output);
		return;
	}
	const tables = [];
	for (const input of inputs) {
		const wasmTable = parquet.readParquet(new Uint8Array(await readFile(input)));
		tables.push(arrow.tableFromIPC(wasmTable.intoIPCStream()));
	}
	const merged = tables[0].concat(...tables.slice(1));
	const properties = new parquet.WriterPropertiesBuilder()
		.setCompression(parquet.Compression.ZSTD)
		.build();
	const bytes = parquet.writeParquet(
		parquet.Table.fromIPCStream(arrow.tableToIPC(merged, 'stream')),
		properties
	);
	await writeFile(output, bytes);
}
