import { useCallback, useEffect, useRef, useState } from "react";
import { AppError, errorMessage } from "../errors";

export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
  reload(): void;
}

/** A user-facing message for an error: the message plus the AppError hint. */
export function describeError(err: unknown): string {
  return err instanceof AppError && err.hint ? `${errorMessage(err)} (${err.hint})` : errorMessage(err);
}

/** Runs `load` on mount and on reload(); a late answer from an older load is dropped. */
export function useAsync<T>(load: () => Promise<T>): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const g = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => g === generation.current && setState({ data, loading: false }),
      (err) =>
        g === generation.current && setState((s) => ({ data: s.data, error: describeError(err), loading: false })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}
