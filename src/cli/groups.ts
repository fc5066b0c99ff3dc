import { registerBackup } from "./backup.js";
import type { CommandGroup } from "./program.js";
import { registerSchedulers } from "./schedulers.js";

/** The service issues' command groups (email, backup, run, lifecycle, demo), in help order. */
export const commandGroups: readonly CommandGroup[] = [
  registerSchedulers, // run lifecycle|video, lifecycle plan, demo
  registerBackup,
];
