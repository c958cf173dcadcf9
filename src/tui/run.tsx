import { Box, render, Text, useApp, useInput } from "ink";
import { VERSION } from "../version";

function Placeholder() {
  const { exit } = useApp();
  useInput((input, key) => {
    if (input === "q" || key.escape || (key.ctrl && input === "c")) exit();
  });
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>backup-tui {VERSION}</Text>
      <Text>The interactive console is coming. Meanwhile every action is a command: run `backup-tui --help`.</Text>
      <Text dimColor>q quit</Text>
    </Box>
  );
}

/** Opens the TUI; resolves with the exit code when the user quits. */
export async function runTui(): Promise<number> {
  const app = render(<Placeholder />, { exitOnCtrlC: false });
  await app.waitUntilExit();
  return 0;
}
