import { Box, Text, useInput } from "ink";
import { useEffect, useState } from "react";
import { format } from "../../output";
import type { RestoreChoice, RestorePreview, TuiBackend } from "../backend";
import { restoreLabel } from "../backend";
import { TextInput } from "../components/text-input";
import { useCloseOnBack } from "../use-back-handler";
import { describeError } from "../use-async";
import { when, wrapLines } from "../format";

export interface RestoreConfirmProps {
  backend: TuiBackend;
  choice: RestoreChoice;
  width: number;
  height: number;
  active: boolean;
  /** While the password is typed every key is the input's (no screen keys). */
  onCapture(captured: boolean): void;
  onCancel(): void;
  /** Confirmed (and the password checked, when one is set): start the restore. */
  onConfirmed(password: string | undefined): void;
}

/**
 * The gate before a restore, as the CLI's: what it overwrites and stops (a dry run), a yes, then —
 * in place, when CONFIRM_PASSWORD_HASH is set — the confirmation password, typed masked. A wrong
 * password changes nothing.
 */
export function RestoreConfirm({
  backend,
  choice,
  width,
  height,
  active,
  onCapture,
  onCancel,
  onConfirmed,
}: RestoreConfirmProps) {
  const [preview, setPreview] = useState<RestorePreview>();
  const [error, setError] = useState<string>();
  const [asking, setAsking] = useState(false);
  const [password, setPassword] = useState("");
  const [wrong, setWrong] = useState(0);
  useEffect(() => {
    const c = new AbortController();
    backend.previewRestore(choice, c.signal).then(
      (p) => !c.signal.aborted && setPreview(p),
      (err) => !c.signal.aborted && setError(describeError(err)),
    );
    return () => c.abort();
  }, [backend, choice]);
  useEffect(() => onCapture(asking), [asking, onCapture]);
  useEffect(() => () => onCapture(false), [onCapture]);
  useCloseOnBack(onCancel, active && !asking);

  useInput(
    (input, key) => {
      if (key.return || input === "y") {
        if (!preview) return;
        if (preview.needsPassword) setAsking(true);
        else onConfirmed(undefined);
      } else if (input === "n") onCancel();
    },
    { isActive: active && !asking },
  );

  const inPlace = !choice.target;
  const snap = choice.snapshot;
  // Each path with its change summary, wrapped (never cut): as many as fit, then "(+N more)".
  const room = Math.max(2, height - 12);
  const pathRows: string[][] = [];
  let used = 0;
  const all = preview?.paths ?? [];
  for (const p of all) {
    const rows = wrapLines(
      `  ${p.path}  (+${p.added} new, ~${p.changed} changed, -${p.removed} removed; ${format.bytes(p.bytes)})`,
      Math.max(20, width),
      4,
    );
    if (pathRows.length && used + rows.length > room) break;
    pathRows.push(rows);
    used += rows.length;
  }
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="wrap">
        Restore {restoreLabel(choice)} from snapshot {snap.shortId} ({when(snap.time)})
        {inPlace ? " in place" : ` under ${choice.target}`}
      </Text>
      {error ? (
        <Text color="red" wrap="wrap">
          error: {error}
        </Text>
      ) : null}
      {!preview && !error ? <Text>reading what it would change (a dry run; nothing is written)…</Text> : null}
      {preview ? (
        <>
          <Text>{inPlace ? "This OVERWRITES the live data at:" : "This writes (nothing live is touched):"}</Text>
          {pathRows.flat().map((l, i) => (
            <Text key={i}>{l}</Text>
          ))}
          {all.length > pathRows.length ? <Text dimColor> (+{all.length - pathRows.length} more)</Text> : null}
          {inPlace ? (
            <>
              <Text wrap="wrap">
                {preview.stops.length
                  ? `It STOPS ${preview.stops.join(", ")} while it writes, and starts ${preview.stops.length === 1 ? "it" : "them"} again.`
                  : `Nothing is stopped: ${preview.stopReason ?? "no running container uses it"}.`}
              </Text>
              <Text wrap="wrap">The current data is first kept in a safety snapshot (kind:pre-restore).</Text>
            </>
          ) : null}
          {preview.unguarded ? (
            <Text color="yellow" wrap="wrap">
              warning: {preview.unguarded}
            </Text>
          ) : null}
          <Text> </Text>
          {asking ? (
            <Box flexDirection="column">
              {wrong ? (
                <Text color="red">
                  wrong confirmation password; nothing was changed{wrong > 1 ? ` (${wrong} tries)` : ""}
                </Text>
              ) : null}
              <TextInput
                label="confirmation password: "
                value={password}
                mask
                onChange={setPassword}
                onCancel={onCancel}
                onSubmit={(pw) => {
                  if (backend.checkConfirmPassword(pw, choice)) onConfirmed(pw);
                  else {
                    setWrong((n) => n + 1);
                    setPassword("");
                  }
                }}
              />
              <Text dimColor>Enter checks it, Esc cancels.</Text>
            </Box>
          ) : (
            <Text>
              <Text bold>Enter</Text>/<Text bold>y</Text>{" "}
              {preview.needsPassword ? "continue (asks the confirmation password)" : "restore"}, <Text bold>n</Text>/
              <Text bold>Esc</Text> cancel
            </Text>
          )}
        </>
      ) : null}
    </Box>
  );
}
