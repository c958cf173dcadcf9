import { Text } from "ink";
import { MENU, PANES, type ScreenId } from "../keymap";

type Style = { prefix: boolean; gap: boolean; short: boolean; running: string };

// From roomiest to tightest: the first that fits the terminal's width is drawn.
const STYLES: Style[] = [
  { prefix: true, gap: true, short: false, running: " ● backup running" },
  { prefix: true, gap: false, short: false, running: " ● running" },
  { prefix: false, gap: false, short: false, running: " ● running" },
  { prefix: false, gap: false, short: true, running: " ● running" },
  { prefix: false, gap: false, short: true, running: " ●" },
];

function items(active: ScreenId, st: Style): Array<{ id: ScreenId; text: string }> {
  return MENU.map((m) => {
    const label = `${m.key} ${st.short && m.id !== active ? m.short : m.title}`;
    return { id: m.id, text: m.id === active ? `[${label}]` : st.gap ? ` ${label} ` : label };
  });
}

/** The main menu: one line, the current screen marked with brackets (readable without colour). */
export function TabBar({ current, running, width = 80 }: { current: ScreenId; running: boolean; width?: number }) {
  const active = PANES[current]?.parent ?? current;
  const fits = (st: Style) => {
    const len =
      (st.prefix ? 11 : 0) +
      items(active, st).reduce((n, i) => n + i.text.length, 0) +
      (st.gap ? 0 : MENU.length - 1) +
      (running ? st.running.length : 0);
    return len <= width - 1;
  };
  const st = STYLES.find(fits) ?? STYLES[STYLES.length - 1];
  return (
    <Text wrap="truncate-end">
      {st.prefix ? <Text bold>backup-tui </Text> : null}
      {items(active, st).map((m, i) => (
        <Text key={m.id}>
          {!st.gap && i ? " " : ""}
          <Text inverse={m.id === active}>{m.text}</Text>
        </Text>
      ))}
      {running ? <Text color="yellow">{st.running}</Text> : null}
    </Text>
  );
}
