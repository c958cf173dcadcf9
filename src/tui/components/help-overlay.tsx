import { Box, Text } from "ink";
import type { KeyHelp } from "../keymap";

/** `?`: the current screen's keys with the global ones; any key closes it. */
export function HelpOverlay({ title, keys, global }: { title: string; keys: KeyHelp[]; global: KeyHelp[] }) {
  const width = Math.max(...[...keys, ...global].map((k) => k.keys.length)) + 2;
  const row = (k: KeyHelp) => (
    <Text key={k.keys + k.label}>
      <Text bold>{k.keys.padEnd(width)}</Text>
      {k.label}
    </Text>
  );
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>Help: {title}</Text>
      {keys.map(row)}
      <Text> </Text>
      <Text bold>Everywhere</Text>
      {global.map(row)}
      {row({ keys: "^C", label: "quit (a running backup is aborted first; stacks are restarted)" })}
      <Text> </Text>
      <Text dimColor>press any key to close</Text>
    </Box>
  );
}
