/**
 * Fails fast when the tests would run on the wrong Node. The project pins
 * Node 24 through the `node` devDependency, which `npm run`/`npm test` put
 * first on PATH; a bare `node --test` with an older system Node would fail in
 * confusing ways instead.
 */
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  console.error(`This project runs on Node 24; this is Node ${process.versions.node}. Run it through npm (npm test, npm run lab), which puts node_modules/.bin/node (v24) first on PATH, after npm ci.`);
  process.exit(1);
}
