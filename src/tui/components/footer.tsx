import { Box, Text } from "ink";
import type { KeyHelp } from "../keymap";

/** Every key of the current screen, then the global ones; wraps on narrow terminals. */
export function Footer({ keys, hint }: { keys: KeyHelp[]; hint?: string }) {
  return (
    <Box flexDirection="column">
      {hint ? <Text wrap="wrap">{hint}</Text> : null}
      <Text wrap="wrap">
        {keys.map((k, i) => (
          <Text key={k.keys + k.label}>
            {i ? "  " : ""}
            <Text bold>{k.keys}</Text> {k.label}
          </Text>
        ))}
      </Text>
    </Box>
  );
}
