import { useCallback } from "react";
import type { Schedules, TuiBackend } from "./backend";
import { useAsync, type Loaded } from "./use-async";

/** The scheduled jobs with their last and next runs. */
export function useSchedules(backend: TuiBackend): Loaded<Schedules> {
  return useAsync(useCallback(() => backend.schedules(), [backend]));
}
