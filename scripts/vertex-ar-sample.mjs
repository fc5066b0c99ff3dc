// Writes a sample Vertex AR database (the one the import's tests use) to try `steward import
// vertex-ar` and `steward compat vertex-ar` on: node scripts/vertex-ar-sample.mjs vertex-ar.db
import { FIXTURE_NOW, makeVertexArDb } from "../test/fixtures/vertex-ar/make-db.mjs";

const out = process.argv[2];
if (!out) {
  process.stderr.write("usage: node scripts/vertex-ar-sample.mjs OUT.db\n");
  process.exit(2);
}
try {
  const counts = makeVertexArDb(out);
  process.stdout.write(`wrote ${out}: ${JSON.stringify(counts)}; its times are placed around ${FIXTURE_NOW}\n`);
} catch (error) {
  process.stderr.write(`vertex-ar-sample: ${error.message}\n`);
  process.exit(1);
}
