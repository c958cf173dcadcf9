import { Box, Text } from "ink";

/** The last `count` lines of a run's log, under a dim "log" heading. */
export function LogTail({ log, count }: { log: readonly string[]; count: number }) {
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text dimColor>log</Text>
      {log.slice(-count).map((l, i) => (
        <Text key={`${log.length - count + i}`} dimColor wrap="truncate-end">
          {l}
        </Text>
      ))}
    </Box>
  );
}
