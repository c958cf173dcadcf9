import { AppError, errorMessage, ToolError } from "../../errors";

export type CheckStatus = "ok" | "warn" | "fail";

/** One line of the doctor's report. */
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
  data?: Record<string, unknown>;
}

/** A failed check from an error: a tool that cannot start is said plainly, and our own hint beats the runner's generic one. */
export const failed = (name: string, err: unknown, hint?: string): Check => {
  if (err instanceof ToolError && err.reason === "spawn") {
    return {
      name,
      status: "fail",
      detail: `${err.command.split(" ")[0]} could not be started: not installed, not on PATH, or not executable`,
      hint,
    };
  }
  return {
    name,
    status: "fail",
    detail: errorMessage(err),
    hint: (err instanceof AppError ? err.hint : undefined) ?? hint,
  };
};
