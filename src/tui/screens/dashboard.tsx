import { Box, Text, useInput } from "ink";
import { useEffect } from "react";
import type { CopyStatus, StackStatus, TuiBackend } from "../backend";
import { VirtualList } from "../components/virtual-list";
import { age, fit, until, wrapLines } from "../format";
import { useDashboard } from "../use-dashboard";
import { useListCursor } from "../use-list-cursor";

export interface DashboardProps {
  backend: TuiBackend;
  width: number;
  height: number;
  active: boolean;
  /** Bumped when something changed the data (a run finished): reloads. */
  reloadKey?: number;
  onBackup(names?: string[]): void;
  onSnapshots(stack?: string): void;
  /** D: the bare-metal recovery flow. */
  onDisaster?(): void;
}

/** One target in the copies line: its alarm, else its last good sync and a failed last result; (erasable) when the last doctor probe found this host can delete there. */
function copyText(c: CopyStatus, now: number): string {
  const erasable = c.erasable ? " (erasable)" : "";
  if (c.alarm) return `${c.name} TAMPER ALARM${erasable}`;
  const good = c.lastGoodAt ? `${age(c.lastGoodAt, now)} ago` : "never synced";
  return `${c.name} ${good}${c.lastStatus && c.lastStatus !== "succeeded" ? ` (last ${c.lastStatus})` : ""}${erasable}`;
}

function lastText(s: StackStatus, now: number): string {
  return s.lastBackup ? `${age(s.lastBackup.at, now)} ago ${s.lastBackup.status}` : "never";
}

/** Stacks with state, enabled, last backup, next scheduled run, overdue mark and snapshot count; warnings that need a person. */
export function DashboardScreen({
  backend,
  width,
  height,
  active,
  reloadKey,
  onBackup,
  onSnapshots,
  onDisaster,
}: DashboardProps) {
  const d = useDashboard(backend);
  useEffect(() => {
    if (reloadKey) d.reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [reloadKey]);
  const stacks = d.data?.stacks ?? [];
  const warnings = d.data?.warnings ?? [];
  // Warnings wrap (a hint at the end of one must not be cut off); they get up to a third of the screen.
  const linesOf = (w: string) => Math.max(1, Math.ceil((w.length + 2) / Math.max(20, width)));
  const shownWarnings: string[] = [];
  let warningLines = 0;
  for (const w of warnings) {
    if (shownWarnings.length && warningLines + linesOf(w) > Math.max(2, Math.floor(height / 3))) break;
    shownWarnings.push(w);
    warningLines += linesOf(w);
  }
  const more = warnings.length > shownWarnings.length ? 1 : 0;
  // A dirlist line it cannot read: said in full above the stacks (which are still listed).
  const unreadable = d.data?.dirlistError ? wrapLines(`! ${d.data.dirlistError}`, Math.max(20, width), 8) : [];
  const errorLines = d.error ? wrapLines(`error: ${d.error}`, Math.max(20, width), 4) : [];
  const copies = d.data?.copies ?? [];
  const listHeight = Math.max(
    1,
    height -
      3 -
      (copies.length ? 1 : 0) -
      unreadable.length -
      (shownWarnings.length ? warningLines + 1 + more : 0) -
      errorLines.length,
  );
  const list = useListCursor(stacks.length, listHeight);

  useInput(
    (input, key) => {
      if (list.onKey(input, key)) return;
      const selected = stacks[list.current()];
      if (key.return && selected) onBackup([selected.name]);
      else if (input === "b") onBackup(undefined);
      else if (input === "s") onSnapshots(selected?.name);
      else if (input === "r") d.reload();
      else if (input === "D") onDisaster?.();
    },
    { isActive: active },
  );

  const now = Date.now();
  // STATE 10, ENABLED 8, LAST BACKUP 20, NEXT RUN 9, SNAPS 5, OVERDUE 8 and the cursor: 62 columns.
  const nameW = Math.max(10, width - 1 - 62);
  const data = d.data;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        {data
          ? `repository ${data.repository} · host ${data.host} · ${data.snapshotTotal} snapshot(s), catalog ${data.catalogRefreshedAt ? `${age(data.catalogRefreshedAt, now)} old` : "never refreshed (4, then r)"}`
          : d.loading
            ? "loading…"
            : "not loaded (the error is below; r retries)"}
      </Text>
      {copies.length ? (
        <Text wrap="truncate-end" color={copies.some((c) => c.alarm) ? "red" : undefined}>
          {`copies: ${copies.map((c) => copyText(c, now)).join(" · ")}`}
        </Text>
      ) : null}
      {unreadable.map((l, i) => (
        <Text key={`u${i}`} color="red">
          {l}
        </Text>
      ))}
      <Text
        bold
      >{`  ${fit("STACK", nameW)}${fit("STATE", 10)}${fit("ENABLED", 8)}${fit("LAST BACKUP", 20)}${fit("NEXT RUN", 9)}${"SNAPS".padStart(5)}`}</Text>
      <VirtualList
        items={stacks}
        cursor={list.cursor}
        top={list.top}
        height={listHeight}
        empty={
          d.loading
            ? "discovering stacks…"
            : !data && d.error
              ? "The stacks could not be listed: the error is below."
              : "No stacks found. Set DOCKER_STACKS_DIR, or start a Compose project."
        }
        render={(s, sel) => (
          <Text bold={sel} wrap="truncate-end">
            {fit(s.name, nameW)}
            <Text color={s.state === "running" ? "green" : undefined}>
              {fit(s.external ? "external" : s.state, 10)}
            </Text>
            {fit(data?.dirlistError ? "?" : s.enabled ? "yes" : "no", 8)}
            <Text color={s.lastBackup?.status === "failed" ? "red" : undefined}>{fit(lastText(s, now), 20)}</Text>
            {fit(until(s.next, now), 9)}
            {String(s.snapshots).padStart(5)}
            {s.overdue ? (
              <Text color="red" bold>
                {" "}
                OVERDUE
              </Text>
            ) : null}
          </Text>
        )}
      />
      {errorLines.map((l, i) => (
        <Text key={`e${i}`} color="red">
          {l}
        </Text>
      ))}
      {shownWarnings.length ? (
        <Box flexDirection="column" marginTop={1}>
          {shownWarnings.map((w) => (
            <Text key={w} color="yellow" wrap="wrap">
              ! {w}
            </Text>
          ))}
          {warnings.length > shownWarnings.length ? (
            <Text dimColor>(+{warnings.length - shownWarnings.length} more)</Text>
          ) : null}
        </Box>
      ) : null}
    </Box>
  );
}
