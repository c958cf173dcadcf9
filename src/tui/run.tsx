import type { ServiceContext } from "../services/context";

/**
 * Opens the TUI; resolves with the exit code when the user quits. `signal` is the CLI's
 * abort signal (SIGTERM/SIGHUP/SIGINT): a running backup is aborted, stacks restarted, then we quit.
 */
export async function runTui(signal?: AbortSignal): Promise<number> {
  // Chalk (under Ink) ignores NO_COLOR: translate it before Ink is first loaded, then put the env back
  // so restic and docker see the user's environment unchanged.
  const noColor = !!process.env.NO_COLOR && process.env.FORCE_COLOR === undefined;
  if (noColor) process.env.FORCE_COLOR = "0";
  let ink: typeof import("ink");
  let ui: typeof import("./app");
  try {
    [ink, ui] = await Promise.all([import("ink"), import("./app")]);
  } finally {
    if (noColor) delete process.env.FORCE_COLOR;
  }
  // Config errors surface before any frame: cli.ts prints them and exits 78.
  const { openTuiContext } = await import("./context");
  const { createBackend } = await import("./backend");
  const ctx: ServiceContext = openTuiContext();
  const own = signal ?? processSignals();
  let code = 0;
  const app = ink.render(<ui.App backend={createBackend(ctx)} signal={own} onExit={(c) => (code = c)} />, {
    exitOnCtrlC: false,
    alternateScreen: true,
  });
  try {
    await app.waitUntilExit();
  } finally {
    ctx.store.close();
  }
  return code;
}

/** Until cli.ts passes its signal: SIGTERM/SIGHUP abort a running backup before we quit. */
function processSignals(): AbortSignal {
  const c = new AbortController();
  for (const s of ["SIGTERM", "SIGHUP"] as const) process.once(s, () => c.abort(s));
  return c.signal;
}
