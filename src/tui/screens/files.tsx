import { Box, Text, useInput } from "ink";
import { useEffect } from "react";
import { format } from "../../output";
import type { CatalogSnapshot } from "../../state/catalog";
import type { TuiBackend } from "../backend";
import { VirtualList } from "../components/virtual-list";
import { fit, restoreCommand } from "../format";
import { useCloseOnBack } from "../use-back-handler";
import { useFileTree } from "../use-file-tree";
import { useListCursor } from "../use-list-cursor";

export interface FilesProps {
  backend: TuiBackend;
  snap: CatalogSnapshot;
  width: number;
  height: number;
  active: boolean;
  onClose(): void;
  onHint(hint: string | undefined): void;
}

/** A snapshot's file tree from the catalog: Enter into dirs, Backspace/← up; restore shown as a CLI command. */
export function FilesPane({ backend, snap, width, height, active, onClose, onHint }: FilesProps) {
  const tree = useFileTree(backend, snap);
  const listHeight = Math.max(1, height - 3);
  const list = useListCursor(tree.entries.length, listHeight);
  const current = tree.entries[list.cursor];
  useEffect(() => {
    list.setCursor(0);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tree.dir]);
  useEffect(() => onHint(`restore: ${restoreCommand(snap, current?.path)}`), [snap, current, onHint]);
  useCloseOnBack(onClose, active);

  useInput(
    (input, key) => {
      if (list.onKey(input, key)) return;
      const entry = tree.entries[list.current()];
      if ((key.return || key.rightArrow) && entry) tree.open(entry);
      else if (key.backspace || key.delete || key.leftArrow) {
        if (!tree.up()) onClose();
      }
    },
    { isActive: active },
  );

  const sizeW = 10;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">{snap.shortId} {snap.stack ?? ""} {snap.time.slice(0, 16).replace("T", " ")} · {tree.dir}</Text>
      {tree.error ? <Text color="red" wrap="wrap">error: {tree.error}</Text> : null}
      {tree.indexing || tree.root === undefined ? (
        <Text>indexing the snapshot's files (restic ls, once)…</Text>
      ) : (
        <VirtualList
          items={tree.entries}
          cursor={list.cursor}
          top={list.top}
          height={listHeight}
          empty="(empty directory)"
          render={(f, sel) => (
            <Text bold={sel} wrap="truncate-end">
              {fit(f.type === "dir" ? `${f.name}/` : f.name, Math.max(10, width - sizeW - 22))}
              {(f.type === "dir" ? "" : format.bytes(f.size)).padStart(sizeW)}  {f.mtime?.slice(0, 16).replace("T", " ") ?? ""}
            </Text>
          )}
        />
      )}
    </Box>
  );
}
