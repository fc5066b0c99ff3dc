import path from "node:path";
import { expect, it } from "vitest";
import { measureFirstPage } from "../../../bench/dashboard-size.js";
import { projectRoot } from "../../helpers/steward-process.js";

const BUDGET = 150 * 1024;

it("the dashboard's first page downloads in under 150 KiB compressed", () => {
  // dist/ is built by the global setup, as `npm ci` builds it.
  const page = measureFirstPage(path.join(projectRoot, "dist", "dashboard"));
  const urls = page.files.map((f) => f.url);
  // The walk reached every page module through main.js's imports, and the static files.
  for (const url of [
    "/",
    "/assets/main.js",
    "/assets/styles.css",
    "/assets/favicon.svg",
    "/assets/page-backups.js",
    "/assets/chart.js",
  ]) {
    expect(urls).toContain(url);
  }
  console.log(`dashboard first page: ${page.files.length} files, ${page.raw} bytes as served, ${page.gzip} bytes gzip`);
  expect(page.gzip).toBeLessThan(BUDGET);
  // Not compressed at all (the status server sends identity), it still fits.
  expect(page.raw).toBeLessThan(BUDGET);
});
