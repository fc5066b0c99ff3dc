import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/db.js";
import { baseEnv, runSteward, StewardProcess } from "../helpers/steward-process.js";
import { waitFor } from "../helpers/wait.js";

const modeOf = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

describe("file modes of the live data", () => {
  let cwd: string;
  let proc: StewardProcess | undefined;
  let umask: number;
  beforeEach(() => {
    cwd = tempDir("steward-modes-");
    // The usual umask, which the child inherits: the modes must come from Steward, not from a
    // strict umask on the machine running the tests (with 022 and no explicit modes: 0755, 0644).
    umask = process.umask(0o022);
  });
  afterEach(async () => {
    process.umask(umask);
    await proc?.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it("creates DATA_DIR 0700, and the database, its -wal and -shm, and the outbox's .eml files 0600", async () => {
    const data = path.join(cwd, "data");
    const env = baseEnv({ DATA_DIR: data });
    proc = new StewardProcess({ env, cwd });
    await proc.ready();
    const sent = await runSteward(["email", "send", "--to", "a@example.com", "--subject", "hi", "--text", "x"], {
      env,
      cwd,
    });
    const id = /^queued (\S+) \(pending\)$/m.exec(sent.stdout)?.[1] as string;
    const eml = path.join(data, "outbox", `${id}.eml`);
    await waitFor(() => fs.existsSync(eml), { timeoutMs: 10_000, what: "the .eml file" });

    const db = path.join(data, "steward.db");
    // While Steward runs, SQLite keeps its write-ahead log and shared-memory index beside the file.
    expect({
      data: modeOf(data),
      db: modeOf(db),
      wal: modeOf(`${db}-wal`),
      shm: modeOf(`${db}-shm`),
      outbox: modeOf(path.dirname(eml)),
      eml: modeOf(eml),
    }).toEqual({ data: "700", db: "600", wal: "600", shm: "600", outbox: "700", eml: "600" });
  });
});
