import { openContext, type CommandEnv } from "../app";
import { parseDuration } from "../duration";
import { UsageError } from "../errors";
import { when } from "../format";
import { format, table } from "../output";
import { ensureCatalog, refreshCatalog } from "../services/snapshots/catalog";

interface Options {
  stack?: string;
  host?: string;
  tag?: string;
  since?: string;
  until?: string;
  latest: string;
  all?: boolean;
  refresh?: boolean;
}

/** "2026-11-01", an ISO time, or a duration back from now ("7d"). */
export function parseWhen(text: string, flag: string): string {
  if (/^\d+(\.\d+)?(ms|s|m|h|d|w)+/.test(text) && !/^\d{4}-/.test(text))
    return new Date(Date.now() - parseDuration(text, flag)).toISOString();
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new UsageError(
      `${flag}: cannot read ${JSON.stringify(text)} as a date`,
      "Use 2026-11-01, 2026-11-01T12:00, or a duration back from now such as 7d.",
    );
  return new Date(t).toISOString();
}

export async function run(env: CommandEnv, o: Options): Promise<number> {
  const latest = Number(o.latest);
  if (!Number.isInteger(latest) || latest < 1)
    throw new UsageError(`--latest must be a positive whole number (got ${JSON.stringify(o.latest)})`);
  const since = o.since ? parseWhen(o.since, "--since") : undefined;
  const until = o.until ? parseWhen(o.until, "--until") : undefined;
  const ctx = openContext(env);
  if (o.refresh) {
    const r = await refreshCatalog(ctx, env.signal);
    env.printer.info(`catalog refreshed: ${r.total} snapshots (+${r.added}, -${r.removed})`);
  } else await ensureCatalog(ctx, env.signal);
  const filtered = !!(o.since || o.until || o.all);
  const rows = ctx.store.catalog.list({
    stack: o.stack,
    host: o.host,
    tag: o.tag,
    since,
    until,
    includeHot: o.all,
    latestPerStack: filtered ? undefined : latest,
  });
  const total = filtered ? rows.length : ctx.store.catalog.countMatching({ stack: o.stack, host: o.host, tag: o.tag });
  env.printer.result({ type: "snapshots", snapshots: rows, refreshedAt: ctx.store.catalog.refreshedAt() }, () =>
    rows.length
      ? table(
          ["ID", "TIME", "HOST", "STACK", "KIND", "ADDED", "TAGS"],
          rows.map((s) => [
            s.shortId,
            when(s.time, true),
            s.host,
            s.stack ?? "-",
            s.kind ?? "-",
            s.dataAdded === undefined ? "-" : format.bytes(s.dataAdded),
            s.tags.filter((t) => !/^(stack|kind|vol):|^backup-tui$/.test(t)).join(",") || "-",
          ]),
        ) +
        (!filtered && total > rows.length
          ? `\n(${rows.length} of ${total}: newest ${latest} per stack and host; --latest N, --since, --until or --all for more)`
          : "")
      : "No snapshots match.",
  );
  return 0;
}
