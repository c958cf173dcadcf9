import { Box, Text } from "ink";
import { MENU, type ScreenId } from "../keymap";

/** The main menu: one line, the current screen marked with brackets (readable without colour). */
export function TabBar({ current, running }: { current: ScreenId; running: boolean }) {
  const active = current === "files" ? "snapshots" : current;
  return (
    <Box>
      <Text bold>backup-tui </Text>
      {MENU.map((m) => (
        <Text key={m.id} inverse={m.id === active}>
          {m.id === active ? `[${m.key} ${m.title}]` : ` ${m.key} ${m.title} `}
        </Text>
      ))}
      {running ? <Text color="yellow"> ● backup running</Text> : null}
    </Box>
  );
}
