import { registerBackup } from "./backup.js";
import { registerEmail } from "./email.js";
import type { CommandGroup } from "./program.js";
import { registerSchedulers } from "./schedulers.js";

/** The service issues' command groups (email, run, lifecycle, demo, backup), in help order. */
export const commandGroups: readonly CommandGroup[] = [
  registerEmail,
  registerSchedulers, // run lifecycle|video, lifecycle plan, demo
  registerBackup,
];
