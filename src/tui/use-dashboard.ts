import { useCallback } from "react";
import type { Dashboard, TuiBackend } from "./backend";
import { useAsync, type Loaded } from "./use-async";

/** The dashboard's data: stacks with state, enabled, last backup, snapshot counts and warnings. */
export function useDashboard(backend: TuiBackend): Loaded<Dashboard> {
  return useAsync(useCallback(() => backend.dashboard(), [backend]));
}
