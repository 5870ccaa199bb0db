// Runs an Evidence command (`node with-release.mjs evidence sources --strict`) against a published release.
//
// Which release: SDOH_PUBLISHED_DIR (the folder holding sdoh_published.duckdb and releases/; default
// $SDOH_DATA_DIR/published, else data/published of this checkout; relative paths are taken from the checkout root)
// and SDOH_RELEASE_ID (default: the latest release, as the pipeline picks it: the newest manifest created_at, then
// release_id). The release folder's Parquet files are read in place: Evidence substitutes EVIDENCE_VAR__release_dir
// and EVIDENCE_VAR__release_id for ${release_dir} and ${release_id} in sources/sdoh/*.sql.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectDir = path.dirname(fileURLToPath(import.meta.url));
const checkout = path.resolve(projectDir, '..', '..');
const fromCheckout = (p) => path.resolve(checkout, p);

const publishedDir = process.env.SDOH_PUBLISHED_DIR
	? fromCheckout(process.env.SDOH_PUBLISHED_DIR)
	: path.join(fromCheckout(process.env.SDOH_DATA_DIR || 'data'), 'published');
const releasesDir = path.join(publishedDir, 'releases');

function latestRelease() {
	if (!existsSync(releasesDir)) return null;
	const releases = readdirSync(releasesDir)
		.filter((name) => !name.startsWith('.') && existsSync(path.join(releasesDir, name, 'manifest.json')))
		.map((name) => JSON.parse(readFileSync(path.join(releasesDir, name, 'manifest.json'), 'utf-8')))
		.sort((a, b) =>
			a.created_at === b.created_at
				? a.release_id.localeCompare(b.release_id)
				: a.created_at.localeCompare(b.created_at)
		);
	return releases.length ? releases[releases.length - 1].release_id : null;
}

const releaseId = process.env.SDOH_RELEASE_ID || latestRelease();
const releaseDir = releaseId ? path.join(releasesDir, releaseId) : null;
if (!releaseDir || !existsSync(path.join(releaseDir, 'indicator_values.parquet'))) {
	console.error(
		`no published release ${releaseId ? `${releaseId} ` : ''}under ${releasesDir}: run \`make run\` first, ` +
			'or set SDOH_PUBLISHED_DIR / SDOH_RELEASE_ID'
	);
	process.exit(2);
}
console.log(`dashboard release: ${releaseId} (${releaseDir})`);

const [command, ...args] = process.argv.slice(2);
const result = spawnSync(command, args, {
	cwd: projectDir,
	stdio: 'inherit',
	shell: process.platform === 'win32',
	env: {
		...process.env,
		PATH: `${path.join(projectDir, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}`,
		// DuckDB reads forward slashes on every platform; a quote would end the SQL string literal
		EVIDENCE_VAR__release_dir: releaseDir.split(path.sep).join('/').replaceAll("'", "''"),
		EVIDENCE_VAR__release_id: releaseId,
		// Evidence's telemetry (Segment) is also off in evidence.settings.json; this covers code paths without it
		SEND_ANONYMOUS_USAGE_STATS: 'no'
	}
});
process.exit(result.status ?? 1);
