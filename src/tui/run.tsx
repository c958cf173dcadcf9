import type { GlobalOptions } from "../app";
/**
 * Opens the TUI; resolves with the exit code when the user quits. `signal` is the CLI's
 * abort signal (SIGTERM/SIGHUP/SIGINT): a running backup is aborted, stacks restarted, then we quit.
 */
export async function runTui(signal?: AbortSignal, globals: GlobalOptions = {}): Promise<number> {
  // Chalk (under Ink) ignores NO_COLOR: translate it before Ink is first loaded, then put the env back
  // so restic and docker see the user's environment unchanged.
  const noColor = !!process.env.NO_COLOR && process.env.FORCE_COLOR === undefined;
  if (noColor) process.env.FORCE_COLOR = "0";
  let ink: typeof import("ink");
  let ui: typeof import("./app");
  let boot: typeof import("./boot");
  try {
    [ink, ui, boot] = await Promise.all([import("ink"), import("./app"), import("./boot")]);
  } finally {
    if (noColor) delete process.env.FORCE_COLOR;
  }

  let code = 0;
  let failure: { err: unknown } | undefined;
  let close = () => undefined as void;
  const own = signal ?? processSignals();
  // The services (config, Docker client, state store) load after the first frame is out.
  const load = new Promise<void>((r) => setTimeout(r, 0)).then(async () => {
    const { openTuiContext } = await import("./context");
    const { createBackend } = await import("./backend");
    const ctx = openTuiContext(globals);
    close = () => ctx.store.close();
    return createBackend(ctx);
  });
  const onExit = (c: number) => (code = c);
  const app = ink.render(
    <boot.Boot load={load} onExit={onExit} onError={(err) => (failure = { err })}>
      {(backend) => <ui.App backend={backend} signal={own} onExit={onExit} />}
    </boot.Boot>,
    // We only get here on a terminal: draw frames even when CI=true is in the environment (Ink
    // would otherwise print just the last frame at exit, a blank screen to the person at the keys).
    { exitOnCtrlC: false, alternateScreen: true, interactive: Boolean(process.stdout.isTTY) },
  );
  try {
    await app.waitUntilExit();
  } finally {
    close();
  }
  // A config error: the alternate screen is gone, cli.ts prints it (exit 78).
  if (failure) throw failure.err;
  return code;
}

/** Until cli.ts passes its signal: SIGTERM/SIGHUP abort a running backup before we quit. */
function processSignals(): AbortSignal {
  const c = new AbortController();
  for (const s of ["SIGTERM", "SIGHUP"] as const) process.once(s, () => c.abort(s));
  return c.signal;
}
