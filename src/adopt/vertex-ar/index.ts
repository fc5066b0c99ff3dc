/**
 * Adopting a Vertex AR installation: `steward import vertex-ar` (its database into Steward's
 * tables, in one transaction) and `steward compat vertex-ar` (a view named like its email_queue,
 * so its app keeps inserting mail unchanged). Not a service: commands the CLI runs once.
 */

export { type CompatResult, disableCompat, enableCompat } from "./compat.js";
export { type ImportOptions, importVertexAr, readVertexAr } from "./import.js";
export { type ImportReport, reportText } from "./report.js";
export type { FieldChange, RowUpdate } from "./sync.js";
