// Offline shim for `evidence sources` and `evidence build` (see README.md in
// this folder). Loaded only when scripts/build_dashboard.sh finds no route to
// DuckDB's extension repository, through
//   NODE_OPTIONS="--import=<this file>"
// which Evidence passes on to the Vite build and SvelteKit's prerender.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
