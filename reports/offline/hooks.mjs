// Module hooks of the offline shim: rewrite two files of
// @evidence-dev/universal-sql, as loaded by Node (never on disk), so that
// DuckDB-Wasm never needs its Parquet extension, which it otherwise downloads
// from DuckDB's extension repository at run time (and hangs without internet).
//
// - build-parquet.js (`evidence sources`): the query results are already
//   written as ZSTD Parquet by parquet-wasm; the final "COPY (SELECT * FROM
//   read_parquet(...)) TO ..." that merges the batches is done with
//   parquet-wasm and Arrow instead of DuckDB-Wasm.
// - client-duckdb/node.js (`evidence build`, prerendering): each source table
//   is read with parquet-wasm and inserted into DuckDB-Wasm as Arrow (built
//   into DuckDB-Wasm) instead of a view over read_parquet(); extension
//   autoloading is switched off, so anything else that needs an extension
//   fails at once instead of hanging.
//
// The rewrite is pinned: it refuses any other version of the two packages,
// and every edit must match the original text exactly once.
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const PINNED = {
	'@evidence-dev/universal-sql': '3.0.1',
	'@duckdb/duckdb-wasm': '1.32.0'
};

const HELPERS = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'parquet-arrow.mjs')).href;

const EDITS = {
	'src/build-parquet.js': [
		[
			"import chalk from 'chalk';",
			`import chalk from 'chalk';\nimport { mergeParquetFiles as __offlineMerge } from '${HELPERS}';`
		],
		['\tawait query(copy);', '\tvoid copy;\n\tawait __offlineMerge(tmpFilenames, outputFilepath);'],
		// A query with no rows (an empty table, e.g. no restatement yet) is
		// written as an empty Parquet file with its columns, not left out:
		// the pages then read an empty table instead of failing on a missing file.
		[
			'\tif (currentBatch.length) await flush(currentBatch);',
			'\tif (currentBatch.length || !tmpFilenames.length) await flush(currentBatch);'
		]
	],
	'src/client-duckdb/node.js': [
		[
			"import { withTimeout } from './both.js';",
			`import { withTimeout } from './both.js';\nimport { loadParquetAsTable as __offlineLoad } from '${HELPERS}';`
		],
		[
			"\t\tawait connection.query('SET old_implicit_casting = true;');",
			"\t\tawait connection.query('SET old_implicit_casting = true;');\n" +
				"\t\tconnection.query('SET autoinstall_known_extensions = false;');\n" +
				"\t\tconnection.query('SET autoload_known_extensions = false;');"
		],
		[
			`			db.registerFileURL(
				file_name,
				url.split(pathDelimiterRegex).join(path.sep),
				DuckDBDataProtocol.NODE_FS,
				false
			);
			connection.query(
				\`CREATE OR REPLACE VIEW "\${source}"."\${table}" AS (SELECT * FROM read_parquet('\${file_name}'));\`
			);`,
			'\t\t\t__offlineLoad(connection, source, table, url.split(pathDelimiterRegex).join(path.sep));'
		]
	]
};

const PACKAGE_DIR = '/node_modules/@evidence-dev/universal-sql/';

function checkPinned(fromFile) {
	for (const [name, version] of Object.entries(PINNED)) {
		const manifest = path.join(fromFile.split('/node_modules/')[0], 'node_modules', name, 'package.json');
		const found = JSON.parse(readFileSync(manifest, 'utf8')).version;
		if (found !== version) {
			throw new Error(
				`reports/offline shim is pinned to ${name}@${version} but ${found} is installed: ` +
					'check the shim against the new version and update PINNED in reports/offline/hooks.mjs'
			);
		}
	}
}

function patch(relative, source) {
	let text = source;
	for (const [before, after] of EDITS[relative]) {
		const count = text.split(before).length - 1;
		if (count !== 1) {
			throw new Error(
				`reports/offline shim: expected the text to replace once in universal-sql/${relative}, found ${count}`
			);
		}
		text = text.replace(before, () => after);
	}
	return text;
}

export async function load(url, context, nextLoad) {
	const result = await nextLoad(url, context);
	if (!url.startsWith('file:') || !url.includes(PACKAGE_DIR)) return result;
	const relative = url.split(PACKAGE_DIR)[1];
	if (!(relative in EDITS)) return result;
	const file = fileURLToPath(url);
	checkPinned(file);
	const source = result.source ?? readFileSync(file);
	return { ...result, source: patch(relative, source.toString()), shortCircuit: true };
}
