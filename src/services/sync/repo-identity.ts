import { AppError, ExitCode } from "../../errors";

/** One copy of a restic repository: where it is, and its config file (undefined when there is none). */
export interface RepositoryCopy {
  where: string;
  config?: string;
}

/**
 * Refuses (exit 2) to copy one repository over another. restic writes a repository's `config`
 * once, at init, carrying the repository id: every copy of one repository has the same file,
 * two repositories never do. A side without a config (empty, or a new remote path) matches anything.
 * `sync` calls it before pushing, `restore PATH` (and the disaster recovery's pull) before pulling.
 */
export function assertSameRepository(source: RepositoryCopy, destination: RepositoryCopy, hint: string): void {
  if (source.config === undefined || destination.config === undefined || source.config === destination.config) return;
  throw new AppError(
    `${destination.where} holds a different restic repository than ${source.where}`,
    ExitCode.usage,
    `Nothing was copied. ${hint}`,
  );
}
