import { Box, Text } from "ink";
import type { ReactNode } from "react";

/** Why a run stopped: "Repository busy: …" or "error: …", its hint, and anything the screen adds. */
export function RunError({
  error,
  children,
}: {
  error?: { message: string; hint?: string; busy: boolean };
  children?: ReactNode;
}) {
  if (!error) return null;
  return (
    <Box flexDirection="column">
      <Text color="red" wrap="wrap">
        {error.busy ? "Repository busy: " : "error: "}
        {error.message}
      </Text>
      {error.hint ? <Text wrap="wrap">{error.hint}</Text> : null}
      {children}
    </Box>
  );
}
