import { openContext, type CommandEnv } from "../app";
import { UsageError } from "../errors";
import { table } from "../output";

export async function run(env: CommandEnv, o: { stack?: string; host?: string; tag?: string; latest: string; all?: boolean }): Promise<number> {
  const latest = Number(o.latest);
  if (!Number.isInteger(latest) || latest < 1) throw new UsageError(`--latest must be a positive whole number (got ${JSON.stringify(o.latest)})`);
  const ctx = openContext(env);
  const tags = [o.stack ? `stack:${o.stack}` : undefined, o.tag].filter((t): t is string => !!t);
  const all = await ctx.restic.snapshots({ tags, host: o.host, signal: env.signal });
  const shown = all.filter((s) => o.all || !s.tags.includes("kind:hot")).sort((a, b) => b.time.localeCompare(a.time));
  const perStack = new Map<string, number>();
  const picked = shown.filter((s) => {
    const key = s.tags.find((t) => t.startsWith("stack:")) ?? "(other)";
    const n = (perStack.get(key) ?? 0) + 1;
    perStack.set(key, n);
    return o.all || n <= latest;
  });
  env.printer.result({ type: "snapshots", snapshots: picked }, () =>
    picked.length
      ? table(
          ["ID", "TIME", "HOST", "STACK", "KIND", "TAGS"],
          picked.map((s) => [
            s.short_id ?? s.id.slice(0, 8),
            s.time.slice(0, 19).replace("T", " "),
            s.hostname,
            s.tags.find((t) => t.startsWith("stack:"))?.slice(6) ?? "-",
            s.tags.find((t) => t.startsWith("kind:"))?.slice(5) ?? "-",
            s.tags.filter((t) => !/^(stack|kind|vol):|^backup-tui$/.test(t)).join(",") || "-",
          ]),
        ) + (shown.length > picked.length ? `\n(${shown.length - picked.length} older not shown: --latest N or --all)` : "")
      : "No snapshots.",
  );
  return 0;
}
