import { Box, Text, useInput } from "ink";
import { diffLines } from "../../reports/diff";
import type { CatalogSnapshot } from "../../state/catalog";
import type { TuiBackend } from "../backend";
import { VirtualList } from "../components/virtual-list";
import { useAsync } from "../use-async";
import { useCloseOnBack } from "../use-back-handler";
import { useListCursor } from "../use-list-cursor";

export interface DiffProps {
  backend: TuiBackend;
  snap: CatalogSnapshot;
  width: number;
  height: number;
  active: boolean;
  onClose(): void;
}

/** `d` on a snapshot: what its backup changed since the snapshot before it (`backup-tui diff SNAP`), scrollable. */
export function DiffPane({ backend, snap, height, active, onClose }: DiffProps) {
  const d = useAsync(async () =>
    backend.diff ? diffLines(await backend.diff(snap.id), Number.POSITIVE_INFINITY) : [],
  );
  const lines = d.data ?? [];
  const listHeight = Math.max(1, height - 3);
  const list = useListCursor(lines.length, listHeight);
  useCloseOnBack(onClose, active);
  useInput((input, key) => void list.onKey(input, key), { isActive: active });
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {snap.shortId} {snap.stack ?? ""}: what changed since the snapshot before it (Esc closes)
      </Text>
      {d.error ? (
        <Text color="red" wrap="wrap">
          {d.error}
        </Text>
      ) : d.loading ? (
        <Text>comparing (each snapshot's files are indexed once)…</Text>
      ) : (
        <VirtualList
          items={lines}
          cursor={list.cursor}
          top={list.top}
          height={listHeight}
          empty="(nothing to show)"
          render={(l, sel) => (
            <Text
              bold={sel}
              wrap="truncate-end"
              color={l.startsWith("  +") ? "green" : l.startsWith("  -") ? "red" : undefined}
            >
              {l}
            </Text>
          )}
        />
      )}
    </Box>
  );
}
