import { Box, Text, useApp, useInput } from "ink";
import { useEffect, useState, type ReactNode } from "react";
import type { TuiBackend } from "./backend";
import { Footer } from "./components/footer";
import { TabBar } from "./components/tab-bar";
import { globalKeys } from "./keymap";

export interface BootProps {
  /** Opens the services (config, state store, Docker client): slow-ish, so it runs after the first frame. */
  load: Promise<TuiBackend>;
  children(backend: TuiBackend): ReactNode;
  onExit(code: number): void;
  onError(err: unknown): void;
}

/** Draws the shell at once, then swaps in the App when the services are open. */
export function Boot({ load, children, onExit, onError }: BootProps) {
  const { exit } = useApp();
  const [backend, setBackend] = useState<TuiBackend>();
  useEffect(() => {
    load.then(setBackend, (err) => {
      onError(err);
      exit();
    });
  }, [load, onError, exit]);
  useInput(
    (input, key) => {
      if (input === "q" || key.escape || (key.ctrl && input === "c")) {
        onExit(0);
        exit();
      }
    },
    { isActive: !backend },
  );
  if (backend) return <>{children(backend)}</>;
  return (
    <Box flexDirection="column">
      <TabBar current="dashboard" running={false} />
      <Box height={1} />
      <Text>starting…</Text>
      <Box height={1} />
      <Footer keys={globalKeys(true)} />
    </Box>
  );
}
