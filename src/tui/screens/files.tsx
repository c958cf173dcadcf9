import { Box, Text, useInput } from "ink";
import { useEffect, useState } from "react";
import { format } from "../../output";
import type { CatalogSnapshot } from "../../state/catalog";
import type { RestoreChoice, TuiBackend } from "../backend";
import { TextInput } from "../components/text-input";
import { VirtualList } from "../components/virtual-list";
import { fit, restoreCommand, restoreScope, when } from "../format";
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
  /** R / t: restore the selected file or folder (in place, or under a typed directory). */
  onRestore?(choice: RestoreChoice): void;
  onCapture?(captured: boolean): void;
}

/** A snapshot's file tree from the catalog: Enter into dirs, Backspace/← up; R / t restore the selected entry. */
export function FilesPane({ backend, snap, width, height, active, onClose, onHint, onRestore, onCapture }: FilesProps) {
  const tree = useFileTree(backend, snap);
  const [typing, setTyping] = useState<string>();
  const scope = restoreScope(snap);
  const listHeight = Math.max(1, height - 3 - (typing === undefined ? 0 : 1));
  const list = useListCursor(tree.entries.length, listHeight);
  const current = tree.entries[list.cursor];
  useEffect(() => {
    list.setCursor(0);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tree.dir]);
  useEffect(
    () => onHint(scope ? undefined : `restore: ${restoreCommand(snap, current?.path)}`),
    [snap, scope, current, onHint],
  );
  useEffect(() => onCapture?.(typing !== undefined), [typing, onCapture]);
  useCloseOnBack(onClose, active && typing === undefined);
  const restoreAt = (target?: string) => {
    const file = tree.entries[list.current()]?.path ?? tree.dir;
    if (scope && onRestore) onRestore({ snapshot: snap, scope, file, target });
  };

  useInput(
    (input, key) => {
      if (list.onKey(input, key)) return;
      const entry = tree.entries[list.current()];
      if ((key.return || key.rightArrow) && entry) tree.open(entry);
      else if (input === "R" && tree.root !== undefined) restoreAt();
      else if (input === "t" && tree.root !== undefined && scope) setTyping("");
      else if (key.backspace || key.delete || key.leftArrow) {
        if (!tree.up()) onClose();
      }
    },
    { isActive: active && typing === undefined },
  );

  const sizeW = 10;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {snap.shortId} {snap.stack ?? ""} {when(snap.time)} · {tree.dir}
      </Text>
      {tree.error ? (
        <Text color="red" wrap="wrap">
          error: {tree.error}
        </Text>
      ) : null}
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
              {(f.type === "dir" ? "" : format.bytes(f.size)).padStart(sizeW)} {f.mtime ? when(f.mtime) : ""}
            </Text>
          )}
        />
      )}
      {typing !== undefined ? (
        <TextInput
          label={`restore ${fit(current?.path ?? tree.dir, 30).trim()} under directory: `}
          value={typing}
          onChange={setTyping}
          onSubmit={(dir) => {
            setTyping(undefined);
            if (dir.trim()) restoreAt(dir.trim());
          }}
          onCancel={() => setTyping(undefined)}
        />
      ) : null}
    </Box>
  );
}
