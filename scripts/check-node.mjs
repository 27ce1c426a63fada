#!/usr/bin/env node
// Refuses to run the tests on a Node major esp-live does not support (package.json "engines").
// `npm test` puts node_modules/.bin first on PATH, where the `node` devDependency installs a
// supported Node from the npm registry, so the suite runs on it whatever the machine's Node is.
const SUPPORTED_MAJORS = [22, 24];
const major = Number(process.versions.node.split('.')[0]);
if (!SUPPORTED_MAJORS.includes(major)) {
  process.stderr.write(`tests need Node ${SUPPORTED_MAJORS.join(' or ')}, this is ${process.version} (${process.execPath}); run them with npm test\n`);
  process.exit(1);
}
process.stdout.write(`testing on Node ${process.version}\n`);
