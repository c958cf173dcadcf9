import { Box, Text, useInput } from "ink";
import { useEffect, useState } from "react";
import { format } from "../../output";
import type { CatalogSnapshot } from "../../state/catalog";
import type { RestoreChoice, TuiBackend } from "../backend";
import { TextInput } from "../components/text-input";
import { VirtualList } from "../components/virtual-list";
import { col, restoreCommand, restoreScope, restorableVolumes, when } from "../format";
import { useListCursor } from "../use-list-cursor";
import { LATEST_PER_STACK, useSnapshots } from "../use-snapshots";
import { useCloseOnBack } from "../use-back-handler";
import { DiffPane } from "./diff";
import { FilesPane } from "./files";
import { RestoreConfirm } from "./restore-confirm";

export interface SnapshotsProps {
  backend: TuiBackend;
  width: number;
  height: number;
  active: boolean;
  initialStack?: string;
  /** Only this host's snapshots (from the Fleet screen); default: every host's. */
  host?: string;
  onCapture(captured: boolean): void;
  onHint(hint: string | undefined): void;
  /** Tells the App the files pane is open (its keys differ). */
  onPane?(pane: "list" | "files" | "restore"): void;
  /** A restore was confirmed (password checked when one is set): the App runs it. */
  onRestore?(choice: RestoreChoice, password: string | undefined): void;
}

/** Snapshots from the catalog ("filter & fetch"), a virtualised list; Enter browses a snapshot's files. */
export function SnapshotsScreen({
  backend,
  width,
  height,
  active,
  initialStack,
  host,
  onCapture,
  onHint,
  onPane,
  onRestore,
}: SnapshotsProps) {
  const s = useSnapshots(backend, initialStack, host);
  const [typing, setTyping] = useState(false);
  const [opened, setOpened] = useState<CatalogSnapshot>();
  const [confirm, setConfirm] = useState<RestoreChoice>();
  const [diffing, setDiffing] = useState<CatalogSnapshot>();
  /** v on a snapshot with several volumes: pick one. */
  const [picking, setPicking] = useState<{ snap: CatalogSnapshot; volumes: string[]; cursor: number }>();
  const listHeight = Math.max(1, height - 4);
  const list = useListCursor(s.rows.length, listHeight);
  const current = s.rows.at(list.cursor);
  useEffect(() => onCapture(typing), [typing, onCapture]);
  useEffect(() => onPane?.(confirm ? "restore" : opened ? "files" : "list"), [opened, confirm, onPane]);
  useEffect(() => {
    if (!opened) onHint(current && !restoreScope(current) ? `restore: ${restoreCommand(current)}` : undefined);
  }, [current, opened, onHint]);
  useCloseOnBack(() => setPicking(undefined), active && !!picking && !confirm);
  const [note, setNote] = useState<string>();
  const restoreVolume = (snap: CatalogSnapshot) => {
    const volumes = restorableVolumes(snap);
    setNote(undefined);
    if (volumes.length === 1) setConfirm({ snapshot: snap, scope: { kind: "volume", volume: volumes[0] } });
    else if (volumes.length) setPicking({ snap, volumes, cursor: 0 });
    else
      setNote(
        `${snap.shortId} has no volume to restore on its own${snap.kind === "pre-restore" ? " (a safety snapshot: it keeps the live paths, with no map of their volumes)" : ""}${restoreScope(snap) ? "; R restores all of it" : ""}`,
      );
  };

  useInput(
    (input, key) => {
      setNote(undefined);
      if (list.onKey(input, key)) return;
      const row = s.rows.at(list.current());
      if (key.return && row) setOpened(row);
      else if (input === "s") s.cycleStack();
      else if (input === "/") setTyping(true);
      else if (input === "a") s.toggleAll();
      else if (input === "r") s.refresh();
      else if (input === "R" && row) {
        const scope = restoreScope(row);
        if (scope) setConfirm({ snapshot: row, scope });
      } else if (input === "v" && row) restoreVolume(row);
      else if (input === "d" && row && backend.diff) setDiffing(row);
    },
    { isActive: active && !typing && !opened && !confirm && !picking && !diffing },
  );
  useInput(
    (_input, key) => {
      if (!picking) return;
      if (key.upArrow) setPicking({ ...picking, cursor: Math.max(0, picking.cursor - 1) });
      else if (key.downArrow)
        setPicking({ ...picking, cursor: Math.min(picking.volumes.length - 1, picking.cursor + 1) });
      else if (key.return) {
        setConfirm({ snapshot: picking.snap, scope: { kind: "volume", volume: picking.volumes[picking.cursor] } });
        setPicking(undefined);
      }
    },
    { isActive: active && !!picking && !confirm },
  );

  const confirmPane = confirm ? (
    <RestoreConfirm
      backend={backend}
      choice={confirm}
      width={width}
      height={height}
      active={active}
      onCapture={onCapture}
      onCancel={() => setConfirm(undefined)}
      onConfirmed={(pw) => {
        const c = confirm;
        setConfirm(undefined);
        onRestore?.(c, pw);
      }}
    />
  ) : null;
  if (opened) {
    // The tree stays mounted under the confirmation: cancelling returns to the same folder.
    return (
      <Box flexDirection="column">
        {confirmPane}
        <Box flexDirection="column" display={confirm ? "none" : "flex"}>
          <FilesPane
            backend={backend}
            snap={opened}
            width={width}
            height={height}
            active={active && !confirm}
            onClose={() => setOpened(undefined)}
            onHint={onHint}
            onRestore={setConfirm}
            onCapture={onCapture}
          />
        </Box>
      </Box>
    );
  }
  if (confirmPane) return confirmPane;
  if (diffing)
    return (
      <DiffPane
        backend={backend}
        snap={diffing}
        width={width}
        height={height}
        active={active}
        onClose={() => setDiffing(undefined)}
      />
    );
  if (picking) {
    return (
      <Box flexDirection="column">
        <Text bold>Restore which volume of {picking.snap.shortId}? (Enter picks, Esc cancels)</Text>
        {picking.volumes.map((v, i) => (
          <Text key={v} bold={i === picking.cursor}>
            {i === picking.cursor ? "› " : "  "}
            {v}
          </Text>
        ))}
      </Box>
    );
  }
  // Each column ends in a space (col), so a long KIND ("pre-restore P") never runs into HOST.
  const stackW = Math.max(8, Math.min(24, width - 1 - 65));
  const filter = [
    host ? `host ${host}` : "",
    s.stack ? `stack ${s.stack}` : "all stacks",
    s.text ? `name contains "${s.text}"` : "",
    s.all ? "every snapshot" : `latest ${LATEST_PER_STACK} per stack`,
  ]
    .filter(Boolean)
    .join(" · ");
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        {filter} · {s.rows.length} shown{s.refreshing ? " · refreshing from the repository…" : ""}
      </Text>
      <Text
        bold
      >{`  ${col("ID", 9)}${col("TIME", 17)}${col("STACK", stackW)}${col("KIND", 14)}${col("HOST", 14)}${"ADDED".padStart(9)}`}</Text>
      <VirtualList
        items={s.rows}
        cursor={list.cursor}
        top={list.top}
        height={listHeight}
        empty="No snapshots in the catalog: press r to read the repository."
        render={(r, sel) => (
          <Text bold={sel} wrap="truncate-end">
            {col(r.shortId, 9)}
            {col(when(r.time), 17)}
            {col(r.stack ?? "-", stackW)}
            {col(`${r.kind ?? "-"}${r.protected ? " P" : ""}`, 14)}
            {col(r.host, 14)}
            {(r.dataAdded === undefined ? "" : format.bytes(r.dataAdded)).padStart(9)}
          </Text>
        )}
      />
      {typing ? (
        <TextInput
          label="filter stacks: "
          value={s.text}
          onChange={s.setText}
          onSubmit={() => setTyping(false)}
          onCancel={() => (s.setText(""), setTyping(false))}
        />
      ) : null}
      {s.error ? (
        <Text color="red" wrap="wrap">
          error: {s.error}
        </Text>
      ) : note ? (
        <Text color="yellow" wrap="wrap">
          {note}
        </Text>
      ) : s.notice ? (
        <Text color="green" wrap="truncate-end">
          {s.notice}
        </Text>
      ) : null}
    </Box>
  );
}
