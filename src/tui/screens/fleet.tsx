import { Box, Text, useInput } from "ink";
import { stateWord, type FleetHost, type Severity } from "../../services/fleet/view";
import type { TuiBackend } from "../backend";
import { VirtualList } from "../components/virtual-list";
import { age, col, fit, when } from "../format";
import { useAsync } from "../use-async";
import { useListCursor } from "../use-list-cursor";

export interface FleetProps {
  backend: TuiBackend;
  width: number;
  height: number;
  active: boolean;
  /** Enter: that host's snapshots (of one stack) in the Snapshots screen. */
  onSnapshots(host: string, stack?: string): void;
}

/** One line of the screen: a host, or one of its stacks under it. */
interface Row {
  host: FleetHost;
  stack?: FleetHost["stacks"][number];
}

const COLOR: Partial<Record<Severity, string>> = {
  ok: "green",
  partial: "yellow",
  failed: "red",
  overdue: "red",
  silent: "red",
  unreadable: "red",
};

/** Every host publishing into the repository and its stacks, worst first (`backup-tui status --fleet`). */
export function FleetScreen({ backend, width, height, active, onSnapshots }: FleetProps) {
  const fleet = useAsync(() => (backend.fleet ? backend.fleet() : Promise.reject(new Error("no fleet view here"))));
  const rows: Row[] = (fleet.data?.hosts ?? []).flatMap((host) => [
    { host },
    ...host.stacks.map((stack) => ({ host, stack })),
  ]);
  const listHeight = Math.max(1, height - 3 - (fleet.error ? 1 : 0));
  const list = useListCursor(rows.length, listHeight);

  useInput(
    (input, key) => {
      if (list.onKey(input, key)) return;
      const row = rows[list.current()];
      if (key.return && row) onSnapshots(row.host.host, row.stack?.stack);
      else if (input === "r") fleet.reload();
    },
    { isActive: active },
  );

  const now = fleet.data ? Date.parse(fleet.data.now) : Date.now();
  // Narrow terminals: the date without the year leaves the note room.
  const wide = width >= 100;
  const lastW = wide ? 18 : 13;
  const noteW = Math.max(10, width - 1 - (2 + 10 + 12 + 17 + lastW));
  const needLook = fleet.data?.hosts.filter((h) => !["ok", "unscheduled"].includes(h.state)).length ?? 0;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        {fleet.loading && !fleet.data
          ? "reading every host's published status…"
          : `${fleet.data?.hosts.length ?? 0} host(s) · ${needLook} need a look${fleet.loading ? " · reading…" : ""}`}
      </Text>
      <Text bold>{`  ${col("HOST", 10)}${col("STACK", 12)}${col("STATE", 17)}${col("LAST GOOD", lastW)}NOTE`}</Text>
      <VirtualList
        items={rows}
        cursor={list.cursor}
        top={list.top}
        height={listHeight}
        empty={
          fleet.loading
            ? ""
            : "No host publishes its status here yet: set PRUNE_HOST (or PUBLISH_STATUS=true) on each host."
        }
        render={(r, sel) => {
          const state = r.stack?.state ?? r.host.state;
          const note = r.stack
            ? r.stack.lastError && r.stack.state === "failed"
              ? r.stack.lastError
              : r.stack.next
                ? `next ${when(r.stack.next)}`
                : ""
            : (r.host.problem ?? `published ${age(r.host.publishedAt, now)} ago`);
          return (
            <Text bold={sel} wrap="truncate-end">
              {col(r.stack ? "" : r.host.host, 10)}
              {col(r.stack?.stack ?? "", 12)}
              <Text color={COLOR[state]}>{col(stateWord(state), 17)}</Text>
              {col(r.stack ? (r.stack.lastGood ? when(r.stack.lastGood).slice(wide ? 0 : 5) : "never") : "", lastW)}
              {fit(note, noteW)}
            </Text>
          );
        }}
      />
      {fleet.error ? (
        <Text color="red" wrap="truncate-end">
          error: {fleet.error}
        </Text>
      ) : null}
    </Box>
  );
}
